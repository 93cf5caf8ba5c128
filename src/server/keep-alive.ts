// WebSocket keep-alive with one timer for the whole server instead of an interval and a pong
// timeout per connection: every `intervalMs` each open socket is pinged, and a socket that did not
// answer the previous ping by then is handed to `unanswered` (which closes it).
import type { WebSocket } from "ws";

export interface KeepAlive {
  /** Starts watching a socket (call once, when it opened). */
  watch(socket: WebSocket): void;
  stop(): void;
}

/** `sockets()`: the server's open sockets now. `unanswered(socket)`: an open socket that did not
 * answer the last ping in time: its peer is gone, or it stopped reading (the ping waits behind
 * what it has not read). */
export function startKeepAlive(
  sockets: () => Iterable<WebSocket>,
  intervalMs: number,
  unanswered: (socket: WebSocket) => void,
): KeepAlive {
  /** Sockets pinged in the last round that have not answered yet. */
  const awaiting = new Set<WebSocket>();
  function answered(this: WebSocket) {
    awaiting.delete(this);
  }
  const timer = setInterval(() => {
    // A socket that closed meanwhile leaves the set here, not through a close listener of its own.
    for (const socket of awaiting) if (socket.readyState === socket.OPEN) unanswered(socket);
    awaiting.clear();
    for (const socket of sockets()) {
      if (socket.readyState !== socket.OPEN) continue;
      awaiting.add(socket);
      socket.ping();
    }
  }, intervalMs);
  // Keep-alive alone must not keep the process running.
  timer.unref();
  return {
    watch(socket) {
      socket.on("pong", answered);
    },
    stop() {
      clearInterval(timer);
      awaiting.clear();
    },
  };
}
