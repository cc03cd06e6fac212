/**
 * `node bench/relay-cost.ts [--events N] [--pad BYTES] [--asked]`: the CPU Sluice's relay spends
 * on each event of its own — framing, the tap (usage, text for estimates), hiding usage, the
 * HTTP chunk — with nothing else in the measurement: upstream chunks are handed to a
 * `ClientStream` in a loop, one event each, as undici hands them over, and written to a client
 * socket that takes them at once. No network, no other process: what differs from a run of
 * `npm run bench` is only the relay's own code, so two builds compare within a few percent on a
 * noisy machine, and exactly under `valgrind --tool=callgrind` (instructions, run twice with
 * different `--events`: the difference over the difference in events is per event).
 *
 * The events are the benchmark upstream's (~250 bytes), with `"usage":null` in each as OpenAI
 * sends it when Sluice asked for usage the client did not: the default case, hidden from the
 * client. `--asked`: the client asked for usage, nothing is hidden. `--root DIR`: another
 * checkout's relay (the one before a change).
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    pad: { type: 'string', default: '70' },
    asked: { type: 'boolean', default: false },
    root: { type: 'string' },
  },
});
const events = Number(values.events);
const hide = !values.asked;
const root = pathToFileURL(`${resolve(values.root ?? new URL('..', import.meta.url).pathname)}/`);
const { ClientStream } = (await import(
  new URL('src/gateway/client-stream.ts', root).href
)) as typeof import('../src/gateway/client-stream.ts');
const { openaiChat } = (await import(
  new URL('src/dialects/index.ts', root).href
)) as typeof import('../src/dialects/index.ts');

const pad = 'x'.repeat(Number(values.pad));
const chunks = Array.from({ length: 256 }, (_, i) =>
  Buffer.from(
    `data: {"id":"bench","object":"chat.completion.chunk","created":0,"model":"bench","choices":[{"index":0,"delta":{"content":"${pad}"},"finish_reason":null}],${hide ? '"usage":null,' : ''}"i":${i},"t":${1_000_000 + i}}\n\n`,
  ),
);

// A client socket that takes every write at once, and a response on it with headers sent.
let written = 0;
const socket = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    written += chunk.length;
    callback();
  },
  writev(pieces, callback) {
    for (const { chunk } of pieces) written += (chunk as Buffer).length;
    callback();
  },
}) as unknown as Socket;
const req = new IncomingMessage(new Socket());
req.method = 'POST';
req.httpVersionMajor = 1;
req.httpVersionMinor = 1;
const res = new ServerResponse(req);
res.assignSocket(socket);
const client = new ClientStream(res, openaiChat, 15_000, hide);
client.begin(200, { 'content-type': 'text/event-stream' });

// A fresh Buffer per event, as undici's reads are.
const relay = (n: number) => {
  for (let i = 0; i < n; i++) client.write(Buffer.from(chunks[i % chunks.length] as Buffer));
};
relay(20_000); // compiled and warm before it is measured
const before = process.cpuUsage();
const startedBytes = written;
relay(events);
const used = process.cpuUsage(before);
client.finish('bench');
process.stdout.write(
  `${JSON.stringify({
    events,
    hidden: hide,
    cpuMicrosecondsPerEvent: Math.round(((used.user + used.system) / events) * 1000) / 1000,
    bytesPerEvent: Math.round((written - startedBytes) / events),
  })}\n`,
);
process.exit(0);
