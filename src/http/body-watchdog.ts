/**
 * Notices a request body that does not start, or stops, arriving (`SLUICE_BODY_TIMEOUT`).
 * Before it, a body that never came held its connection for good: Node's `requestTimeout` is
 * off (it is a deadline for the whole request, which a long upload over a slow link would
 * pass), and 150 sign-in requests that sent headers and no body were all open 130 s later
 * (issue #11).
 *
 * It reads no byte of the body: it polls the socket's byte count, so it works the same whether
 * a handler reads the body, has not got to it yet, or answered without it. A socket Sluice
 * paused (the body waits for a slow upstream, or for a handler busy elsewhere) is not the
 * client's stall and does not count.
 */
import type { IncomingMessage } from 'node:http';

/** Polls per timeout: a stall is seen between 1 and 1 + 1/POLLS timeouts after the last byte. */
const POLLS = 4;

/**
 * Watches `req`'s body until it is complete; calls `onStall` once when a whole timeout passes
 * with no byte from the client. One timeout after that, a connection still open is destroyed:
 * whatever `onStall` did did not close it (a client that does not read its 408, say).
 */
export function watchBody(req: IncomingMessage, timeoutMs: number, onStall: () => void): void {
  const socket = req.socket;
  let lastRead = socket.bytesRead;
  let quiet = 0;
  let stalled = false;
  const stop = () => {
    clearInterval(timer);
    req.off('end', onDone).off('close', onDone);
  };
  // Counting polls rather than reading a clock: an event loop that was itself held up (GC,
  // a loaded machine) loses one poll, and does not blame the client for its own pause.
  const poll = () => {
    if (socket.destroyed) {
      stop();
    } else if (stalled) {
      if (++quiet >= POLLS) {
        stop();
        socket.destroy();
      }
    } else if (req.complete) {
      stop();
    } else if (socket.bytesRead !== lastRead || socket.isPaused()) {
      lastRead = socket.bytesRead;
      quiet = 0;
    } else if (++quiet >= POLLS) {
      stalled = true;
      quiet = 0;
      onStall();
    }
  };
  // The body was read to its end (by a handler, or by Node discarding it after the response),
  // or the request is over. After a stall only the connection's end will do.
  const onDone = () => {
    if (!stalled) stop();
  };
  const timer = setInterval(poll, timeoutMs / POLLS);
  timer.unref();
  req.on('end', onDone).on('close', onDone);
}

/** A request that says a body follows (RFC 9112 §6.3: Content-Length or Transfer-Encoding). */
export function declaresBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (
    req.headers['transfer-encoding'] !== undefined ||
    (length !== undefined && length !== '' && Number(length) !== 0)
  );
}
