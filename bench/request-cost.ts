/**
 * `node bench/request-cost.ts [--requests N] [--concurrency C] [--root DIR]`: the CPU Sluice
 * spends on each request of its own — accept, the key, the body read and written again, limits,
 * the usage record and its journal, routing, the upstream request, the log line, metrics — with
 * everything in one process: Sluice as `sluice serve` runs it (SQLite, a user's key, logs at
 * `info` written nowhere), an upstream that answers each stream at once with one event and its
 * usage, and a client on kept-alive connections, `C` requests at a time. The client and the
 * upstream are the same in every build, so two builds compare within a few percent on a noisy
 * machine, and exactly under `valgrind --tool=callgrind` (instructions, run twice with different
 * `--requests`: the difference over the difference in requests is per request, the client's
 * and upstream's share included and equal in both). `--root DIR`: another checkout's Sluice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '4' },
    root: { type: 'string' },
  },
});
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const root = pathToFileURL(`${resolve(values.root ?? new URL('..', import.meta.url).pathname)}/`);
const load = async <T>(path: string) => (await import(new URL(path, root).href)) as T;
const { loadConfig } = await load<typeof import('../src/config/index.ts')>('src/config/index.ts');
const { createLogger } = await load<typeof import('../src/log/index.ts')>('src/log/index.ts');
const { startSluice } = await load<typeof import('../src/server/index.ts')>('src/server/index.ts');
const { Accounts } = await load<typeof import('../src/accounts/index.ts')>('src/accounts/index.ts');
const { NO_LIMITS } = await load<typeof import('../src/store/index.ts')>('src/store/index.ts');

// One content event, then the usage Sluice asked for, as OpenAI sends them.
const ANSWER =
  'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"bench","choices":[{"index":0,"delta":{"content":"hello"},"finish_reason":null}],"usage":null}\n\n' +
  'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"bench","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11}}\n\n' +
  'data: [DONE]\n\n';
const upstream = createServer((req, res) => {
  req.resume().on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' }).end(ANSWER);
  });
});
upstream.keepAliveTimeout = 60_000;
await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
const upstreamPort = (upstream.address() as AddressInfo).port;

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-request-cost-'));
const config = loadConfig({
  env: {
    SLUICE_DATA_DIR: dataDir,
    BASE_URL: `http://127.0.0.1:${String(upstreamPort)}`,
    OPENAI_API_KEY: 'sk-bench',
    PORT: '0',
    SLUICE_ADMIN_KEY: '',
    SLUICE_LOG_LEVEL: 'info',
  },
});
const log = createLogger(config.logLevel, { sink: { write: () => undefined } });
const sluice = await startSluice(config, { log });
const accounts = new Accounts(sluice.store, { key: NO_LIMITS, user: NO_LIMITS });
await accounts.addUser({
  username: 'loadtest',
  password: 'a long benchmark passphrase',
  limits: NO_LIMITS,
});
const { secret } = await accounts.createKey({ username: 'loadtest', limits: NO_LIMITS });

const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const body = JSON.stringify({
  model: 'bench',
  stream: true,
  messages: [{ role: 'user', content: 'Hello' }],
});
const one = () =>
  new Promise<void>((done, fail) => {
    const req = request(
      new URL('/v1/chat/completions', sluice.url),
      {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      },
      (res) => {
        if (res.statusCode !== 200) fail(new Error(`status ${String(res.statusCode)}`));
        res.resume().on('end', done).on('error', fail);
      },
    );
    req.on('error', fail).end(body);
  });
const run = async (n: number) => {
  let next = 0;
  const lane = async () => {
    while (next++ < n) await one();
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
};

await run(Math.max(500, Math.ceil(requests / 4))); // compiled and warm before it is measured
const before = process.cpuUsage();
await run(requests);
const used = process.cpuUsage(before);
process.stdout.write(
  `${JSON.stringify({
    requests,
    concurrency,
    cpuMicrosecondsPerRequest: Math.round((used.user + used.system) / requests),
  })}\n`,
);
agent.destroy();
await sluice.drain(0);
upstream.close();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
