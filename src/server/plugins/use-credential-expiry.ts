// A subscription streamed over SSE ends when the token of its request expires, as a graphql-ws
// connection does (close code 4401): its last event is one error with extensions.code
// UNAUTHENTICATED, then the stream completes; the client subscribes again with a fresh token and
// resumes with afterSeq. graphql-ws operations carry no expiry on their transport (their
// connection closes itself), so only HTTP subscriptions are wrapped.
import type { ExecutionResult } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { Context } from "../../context.js";
import { UnauthenticatedError } from "../../errors.js";
import { startDeadline } from "../deadline.js";

const EXPIRED = Symbol("expired");

/** `source` until `at`; then one UNAUTHENTICATED error result, and the end (the source is returned). */
function untilExpiry(source: AsyncIterable<ExecutionResult>, at: Date): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  let expire!: (value: typeof EXPIRED) => void;
  const expired = new Promise<typeof EXPIRED>((resolve) => (expire = resolve));
  const deadline = startDeadline(at, () => expire(EXPIRED));
  const finish = async (): Promise<IteratorResult<ExecutionResult>> => {
    ended = true;
    deadline.clear();
    try {
      await iterator.return?.();
    } catch {
      // The source failed while ending: it has ended all the same.
    }
    return { value: undefined, done: true };
  };
  return {
    async next() {
      if (ended) return { value: undefined, done: true };
      const step = await Promise.race([iterator.next(), expired]);
      if (step !== EXPIRED) {
        if (step.done) deadline.clear();
        return step;
      }
      await finish();
      return { value: { errors: [new UnauthenticatedError("The token has expired.")] }, done: false };
    },
    return: finish,
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** One hooks object for all subscriptions (envelop keeps it as long as the stream runs). */
const subscribeHooks: ReturnType<NonNullable<Plugin["onSubscribe"]>> = {
  onSubscribeResult({ args, result, setResult }) {
    const at = (args.contextValue as Partial<Context>).transport?.credentialsExpireAt;
    if (at && isAsyncIterable(result)) setResult(untilExpiry(result as AsyncIterable<ExecutionResult>, at));
  },
};

export function useCredentialExpiry(): Plugin {
  return { onSubscribe: () => subscribeHooks };
}
