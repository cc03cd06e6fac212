/** Loopback ports for the real processes the tests and the benchmark start (nginx, tinyproxy, …). */
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A port that was free a moment ago: bind 127.0.0.1:0, read it, close. A child that must be told
 * its port in a config file cannot take port 0 itself, so the small race is accepted.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export interface WaitForPortOptions {
  readonly timeoutMs: number;
  /** The child's output so far, quoted in the error when the port never opens. */
  readonly stderr?: () => string;
  /** Stops the wait early, e.g. when the child exits; the reason becomes the error. */
  readonly signal?: AbortSignal;
}

/** Resolves once a TCP connect to 127.0.0.1:port succeeds; polls a starting child process. */
export async function waitForPort(port: number, options: WaitForPortOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let delayMs = 10;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      await tryConnect(port);
      return;
    } catch (error) {
      if (!isRetryable(error)) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(delayMs, Math.max(0, deadline - Date.now())));
    delayMs = Math.min(delayMs * 2, 200);
  }
  const output = options.stderr?.().trim();
  throw new Error(
    `nothing listened on 127.0.0.1:${port} within ${options.timeoutMs} ms` +
      (output ? `; its output:\n${output}` : ''),
    { cause: lastError },
  );
}

function tryConnect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

function isRetryable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET';
}
