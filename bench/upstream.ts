/**
 * The benchmark's model: an OpenAI-compatible server that streams `events` chat chunks at a
 * fixed interval, each stamped with its send time on the machine's monotonic clock
 * (`process.hrtime`, CLOCK_MONOTONIC, shared by every process), so the load generator can tell
 * how long each event took to reach it. Started as a child process; prints its port.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BenchParams, readBenchUser } from './bench-request.ts';

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * One chat chunk. Asked for usage (`stream_options.include_usage`, as Sluice always asks), it
 * carries `"usage":null` as OpenAI's do, which Sluice then hides from a client that did not ask:
 * the relay's default case, measured as it happens in production.
 */
function chunk(i: number, pad: string, usage: boolean): string {
  return `data: {"id":"bench","object":"chat.completion.chunk","created":0,"model":"bench","choices":[{"index":0,"delta":{"content":"${pad}"},"finish_reason":null}],${usage ? '"usage":null,' : ''}"i":${i},"t":${nowUs()}}\n\n`;
}

const USAGE = (events: number) =>
  `data: {"id":"bench","object":"chat.completion.chunk","created":0,"model":"bench","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":${events},"total_tokens":${events + 10}}}\n\n`;

function stream(res: ServerResponse, params: BenchParams, usage: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const pad = 'x'.repeat(params.pad);
  const start = performance.now();
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    res.write(chunk(i, pad, usage));
    i++;
    if (i < params.events) {
      timer = setTimeout(tick, Math.max(0, start + i * params.intervalMs - performance.now()));
    } else {
      res.end((usage ? USAGE(params.events) : '') + 'data: [DONE]\n\n');
    }
  };
  res.on('close', () => {
    clearTimeout(timer);
  });
  tick();
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.url?.endsWith('/models')) {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"object":"list","data":[{"id":"bench","object":"model"}]}');
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as {
      user?: unknown;
      stream_options?: { include_usage?: boolean };
    };
    stream(
      res,
      readBenchUser(body.user) ?? { events: 10, intervalMs: 10, pad: 100 },
      body.stream_options?.include_usage === true,
    );
  });
});
server.keepAliveTimeout = 120_000;
// The kernel's largest accept queue (see LISTEN_BACKLOG in src/server/server.ts): thousands of
// streams connect at once, and the upstream must not be what makes them wait.
server.listen({ port: 0, host: '127.0.0.1', backlog: 65_535 }, () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
