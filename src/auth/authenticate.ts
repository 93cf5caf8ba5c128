// Turns a request's credentials into the identity claims of a user. The default reads an HS256
// JWT from `Authorization: Bearer` (HTTP, SSE) or `connectionParams` (graphql-ws); an
// application replaces it with the `authenticate` option of createChatServer.
import { jwtVerify, SignJWT, errors as joseErrors } from "jose";
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

export function createJwtAuthenticate(secret: string): Authenticate {
  const key = new TextEncoder().encode(secret);
  return async (input) => {
    const token = bearerToken(input);
    if (token === null) return null;
    try {
      // Only HS256: an unsigned ("alg": "none") or differently signed token fails here.
      const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
      const { sub, name, staff, exp } = payload;
      if (typeof sub !== "string" || sub.length === 0 || sub.length > MAX_ID_LENGTH) {
        throw new UnauthenticatedError("The token has no valid subject.");
      }
      return {
        id: sub,
        username: typeof name === "string" && name.length > 0 ? name.slice(0, 150) : sub,
        isStaff: staff === true,
        ...(typeof exp === "number" && { expiresAt: new Date(exp * 1000) }),
      };
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
