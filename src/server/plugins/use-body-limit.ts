// MAX_REQUEST_BYTES for HTTP bodies: 413 REQUEST_ENTITY_TOO_LARGE past it. Replaces Yoga's
// maxRequestBodySize, which pipes every body through a counting TransformStream (a stream
// pipeline, an AbortController and a DOMException per request: a visible share of a request's
// CPU). A body with a Content-Length needs no counting: Node's HTTP parser never delivers more
// bytes than it declares. Only a body without one (chunked) is counted while it is read.
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

const tooLarge = () =>
  new GraphQLError("Request body too large", {
    extensions: { http: { status: 413 }, code: "REQUEST_ENTITY_TOO_LARGE" },
  });

/** One non-negative integer; anything else (a list, as in request smuggling) is refused. */
const CONTENT_LENGTH = /^\d+$/;

/** The request with a body that fails once more than `maxBytes` were read. */
function counted(request: Request, maxBytes: number, fetchAPI: { Request: typeof Request; TransformStream: typeof TransformStream }): Request {
  let read = 0;
  // Node's own ReadableStream needs the platform's TransformStream, a ponyfill body the ponyfill's.
  const Transform = request.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  const body = request.body!.pipeThrough(
    new Transform({
      transform(chunk: Uint8Array, controller) {
        read += chunk.byteLength;
        if (read > maxBytes) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body,
    duplex: "half",
  } as RequestInit);
}

export function useBodyLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const length = request.headers.get("content-length");
      if (length !== null) {
        if (!CONTENT_LENGTH.test(length)) {
          throw new GraphQLError("Content-Length header is invalid.", {
            extensions: { http: { status: 400 }, code: "BAD_REQUEST" },
          });
        }
        if (Number(length) > maxBytes) throw tooLarge();
        return;
      }
      if (!requestParser || !request.body) return;
      const parse = requestParser;
      setRequestParser((req) => parse(counted(req, maxBytes, fetchAPI)));
    },
  };
}
