// The errors a client may see. Clients branch on `extensions.code`; every other error is masked
// by Yoga as "Unexpected error." and logged. `seedCode` keeps the Django package's numbers.
import { GraphQLError } from "graphql";

export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "BAD_USER_INPUT"
  | "CONFLICT"
  | "RATE_LIMITED"
  /** Subscriptions only: too many messages were missed to replay; reload through `messages`. */
  | "RESYNC_REQUIRED";

declare module "graphql" {
  interface GraphQLErrorExtensions {
    code?: ErrorCode | string;
    seedCode?: number;
    // `http` (status and headers of the response) is declared by graphql-yoga; declaring it here
    // too would conflict with yoga's type in every consumer that checks libraries (TS2717).
  }
}

const SEED_CODES: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 4001,
  FORBIDDEN: 4002,
  BAD_USER_INPUT: 4003,
  NOT_FOUND: 4004,
  CONFLICT: 4005,
  RATE_LIMITED: 4029,
};

export class ChatError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    const seedCode = SEED_CODES[code];
    super(message, { extensions: { code, ...(seedCode !== undefined && { seedCode }), ...extra } });
  }
}

export class UnauthenticatedError extends ChatError {
  constructor(message = "Authentication required.") {
    // Yoga uses `http.status` only when every error of a response agrees, so data stays 200.
    super("UNAUTHENTICATED", message);
  }
}

/**
 * Credentials refused before anything runs (a forged, expired or malformed token): over HTTP the
 * response is 401 with a Bearer challenge (RFC 6750), which is what clients' token-refresh logic
 * looks for. A field asking for a viewer that the request lacks stays UnauthenticatedError (200).
 */
export function refusedCredentials(error: unknown): never {
  if (!(error instanceof UnauthenticatedError)) throw error;
  throw new ChatError("UNAUTHENTICATED", error.message, {
    http: { status: 401, headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' } },
  });
}

export class ForbiddenError extends ChatError {
  constructor(message = "Not authorized.") {
    super("FORBIDDEN", message);
  }
}

export class NotFoundError extends ChatError {
  constructor(message = "Resource not found.") {
    super("NOT_FOUND", message);
  }
}

export class BadUserInputError extends ChatError {
  constructor(message: string, field?: string) {
    super("BAD_USER_INPUT", message, field ? { field } : {});
  }
}

export class ConflictError extends ChatError {
  constructor(message: string) {
    super("CONFLICT", message);
  }
}

/** Prisma's unique-constraint violation, raised by concurrent inserts of the same key. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** Prisma's "record to update or delete does not exist". */
export function isRecordMissing(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2025";
}

/**
 * Signing in failed on the server's side (the database is unreachable, say), not because of the
 * credentials: a WebSocket is closed with 1013 (try again later) instead of 4401, so a client
 * keeps a token that is still valid.
 */
export class SignInUnavailableError extends Error {
  constructor(cause: unknown) {
    super("Signing in is unavailable for now.", { cause });
    this.name = "SignInUnavailableError";
  }
}

export class RateLimitedError extends ChatError {
  constructor(message: string, retryAfterMs: number) {
    super("RATE_LIMITED", message, { retryAfterMs });
  }
}
