// Turns a request's credentials into the identity claims of a user. The default reads an HS256
// JWT from `Authorization: Bearer` (HTTP, SSE) or `connectionParams` (graphql-ws); an
// application replaces it with the `authenticate` option of createChatServer.
import { createHash } from "node:crypto";
import { jwtVerify, SignJWT, errors as joseErrors } from "jose";
import { unstorableReason } from "../content/storable-text.js";
import { UnauthenticatedError } from "../errors.js";

/** Who the credentials say the caller is; the user row is upserted from this. */
export interface Identity {
  id: string;
  username: string;
  displayName?: string | null;
  isStaff?: boolean;
  /** When the credentials stop being valid: a WebSocket connection opened with them is closed then. */
  expiresAt?: Date;
}

export interface AuthenticateInput {
  /** The HTTP request (queries, mutations, SSE, and the WebSocket upgrade). */
  request?: Request;
  /** graphql-ws connection parameters. */
  connectionParams?: Readonly<Record<string, unknown>>;
}

/** Returns the caller's identity, null for an anonymous caller, or throws UnauthenticatedError. */
export type Authenticate = (input: AuthenticateInput) => Promise<Identity | null>;

const MAX_TOKEN_LENGTH = 4096;
const MAX_ID_LENGTH = 128;

/** The bearer token of a request or of graphql-ws connection parameters, if any. */
export function bearerToken(input: AuthenticateInput): string | null {
  const params = input.connectionParams;
  let header: unknown = input.request?.headers.get("authorization") ?? null;
  if (params) header = params.Authorization ?? params.authorization ?? params.token ?? header;
  if (header === null || header === undefined) return null;
  if (typeof header !== "string") throw new UnauthenticatedError("Malformed credentials.");
  const token = header.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : header.trim();
  if (!token || token.length > MAX_TOKEN_LENGTH) throw new UnauthenticatedError("Malformed credentials.");
  return token;
}

/** Verified tokens remembered per process; the least recently used goes first. */
const VERIFIED_TOKENS = 10_000;

/** Tokens up to this length are their own cache key; longer ones are keyed by their digest. */
const PLAIN_KEY_LENGTH = 1024;

/** Remembers verified tokens until they expire: a client sends the same token with every HTTP
 * request, and verifying HS256 through WebCrypto costs about a millisecond of CPU each time.
 * Only valid tokens get in, and a key is at most 1 KiB. A WebSocket's token is checked once per
 * connection and not remembered: 10,000 idle connections would keep 10,000 tokens for nothing. */
function verifiedTokenCache() {
  const entries = new Map<string, Identity>();
  const keyOf = (token: string) =>
    token.length <= PLAIN_KEY_LENGTH ? token : createHash("sha256").update(token).digest("base64");
  return {
    get(token: string): Identity | undefined {
      const key = keyOf(token);
      const identity = entries.get(key);
      if (!identity) return undefined;
      entries.delete(key);
      if (identity.expiresAt && identity.expiresAt.getTime() <= Date.now()) return undefined;
      entries.set(key, identity);
      return identity;
    },
    set(token: string, identity: Identity): void {
      if (entries.size >= VERIFIED_TOKENS) entries.delete(entries.keys().next().value as string);
      entries.set(keyOf(token), identity);
    },
  };
}

export function createJwtAuthenticate(secret: string): Authenticate {
  const key = new TextEncoder().encode(secret);
  const verified = verifiedTokenCache();
  return async (input) => {
    const token = bearerToken(input);
    if (token === null) return null;
    const remember = input.request !== undefined && input.connectionParams === undefined;
    const known = remember ? verified.get(token) : undefined;
    if (known) return known;
    try {
      // Only HS256: an unsigned ("alg": "none") or differently signed token fails here.
      const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
      const { sub, name, staff, exp } = payload;
      if (typeof sub !== "string" || sub.length === 0 || sub.length > MAX_ID_LENGTH || unstorableReason(sub)) {
        throw new UnauthenticatedError("The token has no valid subject.");
      }
      if (typeof name === "string" && unstorableReason(name)) {
        throw new UnauthenticatedError("The token has no valid name.");
      }
      // A token without an expiry would be valid forever, and so would every connection opened
      // with it: refused, so that a leaked token stops working and connections re-authenticate.
      if (typeof exp !== "number") throw new UnauthenticatedError("The token has no expiry (exp).");
      const identity: Identity = {
        id: sub,
        // Sliced by code points: slicing UTF-16 units could leave a lone surrogate at the end.
        username: typeof name === "string" && name.length > 0 ? [...name].slice(0, 150).join("") : sub,
        isStaff: staff === true,
        expiresAt: new Date(exp * 1000),
      };
      if (remember) verified.set(token, identity);
      return identity;
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      const expired = error instanceof joseErrors.JWTExpired;
      throw new UnauthenticatedError(expired ? "The token has expired." : "The token is not valid.");
    }
  };
}

export interface TokenClaims {
  sub: string;
  name?: string;
  staff?: boolean;
}

/** Signs a development or test token the default authenticate accepts. */
export async function signToken(secret: string, claims: TokenClaims, expiresIn = "30d"): Promise<string> {
  return new SignJWT({ name: claims.name ?? claims.sub, staff: claims.staff ?? false })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
