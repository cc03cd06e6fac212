/**
 * Lingering close, as nginx's `lingering_close`. An answer sent before its request's body was
 * read whole (a 413, a 503 from the body budget, a 408, a refused form) closes the connection.
 * Closed at once while the body's bytes still arrive, the kernel answers them with a reset, and
 * a reset destroys what the client had not read yet — the answer: the client sees "connection
 * reset" (`fetch failed`), never the 413 or 503 that says why. So the write side is ended (the
 * answer, then FIN) and whatever still arrives is read and dropped, never kept, until the
 * client closes, the body ends, or `lingerMs` passes.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** The request each connection carries now (keep-alive carries several in turn). */
const current = new WeakMap<Socket, IncomingMessage>();

/** Called for every request: the connection's close lingers while this one's body is unread. */
export function lingerOnClose(req: IncomingMessage, lingerMs: number): void {
  const socket = req.socket;
  const known = current.has(socket);
  current.set(socket, req);
  if (known) return;
  // Node closes a connection whose answer said `Connection: close` with `destroySoon()`.
  const destroySoon = socket.destroySoon.bind(socket);
  socket.destroySoon = () => {
    const incoming = current.get(socket);
    if (incoming === undefined || incoming.complete || !socket.writable) {
      destroySoon();
      return;
    }
    linger(socket, incoming, lingerMs);
  };
}

function linger(socket: Socket, req: IncomingMessage, lingerMs: number): void {
  const close = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, lingerMs);
  timer.unref();
  socket.end();
  socket.once('end', close).once('close', () => {
    clearTimeout(timer);
  });
  req.once('end', close);
  req.on('data', drop);
  req.resume();
}

function drop(): void {
  // Read so the kernel has nothing to reset; kept by no one.
}
