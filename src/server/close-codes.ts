// Every WebSocket close code this server sends (README "Realtime" mirrors this list). graphql-ws
// itself also sends 4400 (bad message), 4409 (duplicate subscription id) and 4429 (too many
// connection_init); 4408 (no connection_init in time) is its code too, sent by our adapter.
export enum CloseCode {
  /** The server is shutting down; reconnect (to another instance) and resume with afterSeq. */
  GoingAway = 1001,
  /** Signing in failed on the server's side (e.g. the database is down): reconnect later with the same token. */
  TryAgainLater = 1013,
  /** No valid token in the connection parameters. */
  Unauthorized = 4401,
  /** The token was valid but the connection is not allowed (graphql-ws's code for a refused connect). */
  Forbidden = 4403,
  /** The client fell too far behind; reconnect and resume with afterSeq. */
  SlowConsumer = 4509,
}
