/**
 * Backpressure, as the streaming tests check it: an upstream that writes as fast as its socket
 * takes (noting when it must wait), and a client on a raw socket that stops reading after the
 * first bytes, checks the upstream is held back and Sluice holds a bounded amount, then reads
 * the rest.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { formatEvent } from '../../src/sse/index.ts';
import { type FakeUpstream, sseHead } from './fake-upstream.ts';
import { ADMIN_KEY, type TestSluice } from './sluice.ts';
import { metric, waitFor } from './wait.ts';

export interface WriteProgress {
  /** Bytes of events written so far. */
  written: number;
  /** The upstream is waiting for its socket to drain. */
  blocked: boolean;
  finished: boolean;
}

export const newProgress = (): WriteProgress => ({ written: 0, blocked: false, finished: false });

/** Streams `events` as fast as the socket takes them, then ends with `last`. */
export async function writeAll(
  res: ServerResponse,
  events: Iterable<string>,
  progress: WriteProgress,
  last?: string,
): Promise<void> {
  sseHead(res);
  for (const event of events) {
    if (res.destroyed) return;
    progress.written += Buffer.byteLength(event);
    if (!res.write(event)) {
      progress.blocked = true;
      await once(res, 'drain');
      progress.blocked = false;
    }
  }
  res.end(last);
  progress.finished = true;
}

/**
 * Posts `body` to `path` on a raw socket, so the test decides when the client reads; stops
 * reading after the first bytes; checks that Sluice paused its upstream read (the upstream
 * blocked while far from done: under a quarter of its `total` bytes written) and holds at most
 * 256 KiB for the client; then reads to the end. Returns the whole response as text.
 */
export async function stallThenRead(
  sluice: TestSluice,
  path: string,
  body: object,
  progress: WriteProgress,
  total: number,
): Promise<string> {
  const socket = connect(Number(new URL(sluice.url).port), '127.0.0.1');
  await once(socket, 'connect');
  const json = JSON.stringify(body);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: sluice\r\nConnection: close\r\n` +
      `Authorization: Bearer ${ADMIN_KEY}\r\nx-api-key: ${ADMIN_KEY}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
  );
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  await once(socket, 'data');
  socket.pause();

  await waitFor(
    async () => progress.blocked && (await metric(sluice.url, 'sluice_streams_paused')) === 1,
    { what: 'the upstream blocked and the stream paused' },
  );
  // Without the pause Sluice would read on, the upstream would never block and would finish,
  // with Sluice holding everything in memory; with it, the upstream is held back at what the
  // socket buffers on the way take (bounded in bytes: the kernel may still grow a loopback
  // window a little, letting a few more events through).
  assert.equal(progress.finished, false, 'the upstream is held back');
  assert.ok(progress.written < total / 4, `${progress.written} bytes written while paused`);
  const buffered = await metric(sluice.url, 'sluice_client_buffered_bytes');
  assert.ok(buffered <= 256 * 1024, `Sluice holds ${buffered} bytes for the stalled client`);

  socket.resume();
  await once(socket, 'end');
  assert.equal(progress.finished, true);
  return Buffer.concat(received).toString();
}

/**
 * The whole check on a chat stream: `count` numbered events of 60 KiB each (far more than the
 * socket buffers on the way hold), then `[DONE]`, stalled and read through Sluice; asserts that
 * every event arrived once, in order, and returns the client's text.
 */
export async function numberedStreamHeldBack(
  sluice: TestSluice,
  upstream: FakeUpstream,
  request: object,
  count: number,
): Promise<string> {
  const pad = 'x'.repeat(60 * 1024);
  const progress = newProgress();
  const events = function* () {
    for (let i = 0; i < count; i++) yield formatEvent({ data: JSON.stringify({ i, pad }) });
  };
  upstream.script(({ res }) => writeAll(res, events(), progress, formatEvent({ data: '[DONE]' })));
  const text = await stallThenRead(
    sluice,
    '/v1/chat/completions',
    request,
    progress,
    count * pad.length,
  );
  assert.deepEqual(
    [...text.matchAll(/data: \{"i":(\d+),/g)].map((m) => Number(m[1])),
    Array.from({ length: count }, (_, i) => i),
    'every event, once, in order',
  );
  return text;
}
