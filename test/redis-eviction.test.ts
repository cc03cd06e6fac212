/**
 * A Redis with a memory limit and an evicting `maxmemory-policy` drops keys when full — Sluice's
 * limit counters and leases among them — and limits then let through what they should refuse.
 * Sluice says so when it first connects. Each case runs a redis-server of its own (Debian's),
 * so the machine's Redis keeps its configuration.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { type FakeUpstream, jsonReply, startFakeUpstream } from './support/fake-upstream.ts';
import { freePort } from './support/ports.ts';
import { keyFor, sluiceFor } from './support/sluice.ts';
import { waitForText } from './support/wait-for-text.ts';

let upstream: FakeUpstream;
before(async () => {
  upstream = await startFakeUpstream(jsonReply(200, { object: 'chat.completion', choices: [] }));
});
after(async () => {
  await upstream.stop();
});

/** A throwaway redis-server with `policy`, a 64 MiB limit, nothing saved to disk. */
async function redisWith(policy: string): Promise<{ url: string; server: ChildProcess }> {
  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'].concat([
      '--maxmemory',
      '64mb',
      '--maxmemory-policy',
      policy,
    ]),
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  server.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await waitForText(() => out, /Ready to accept connections/);
  return { url: `redis://127.0.0.1:${port}`, server };
}

const WARNING = /Redis may evict Sluice's keys/;

/**
 * Sluice on `policy`'s Redis, one request through its limit counters; the warnings it logged.
 * `until`: a warning to wait for as well (the sign-in throttle's connection checks on its own
 * time, not before the request's answer).
 */
async function warningsWith(policy: string, until?: RegExp): Promise<string[]> {
  const redis = await redisWith(policy);
  const sluice = await sluiceFor(upstream.origin, { REDIS_URL: redis.url });
  try {
    // A key with a rate limit: its request is admitted by the counters in Redis, on the
    // connection whose first command was the check (replies come in order).
    const key = await keyFor(sluice, 'ada', { keyLimits: { rpm: 60 } });
    const response = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [] }),
    });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    const warnings = () =>
      sluice.logs
        .filter((line) => line.level === 'warn' && WARNING.test(String(line.msg)))
        .map((line) => String(line.msg));
    if (until !== undefined) await waitForText(() => warnings().join('\n'), until);
    return warnings();
  } finally {
    await sluice.stop();
    redis.server.kill();
    await once(redis.server, 'exit');
  }
}

describe('Redis that may evict', () => {
  it('allkeys-lru with a memory limit: a warning that names the policy and the fix', async () => {
    // The limit counters and the sign-in throttle each have a connection, each says it.
    const warnings = await warningsWith('allkeys-lru', /^sign-in throttle: /m);
    const counters = warnings.find((w) => w.startsWith('limit counters: '));
    assert.match(String(counters), /maxmemory-policy allkeys-lru.*set maxmemory-policy noeviction/);
    assert.ok(
      warnings.some((w) => w.startsWith('sign-in throttle: ')),
      warnings.join('\n'),
    );
  });

  it('volatile-ttl too: the counters expire, so they are what it evicts', async () => {
    assert.equal((await warningsWith('volatile-ttl')).length > 0, true);
  });

  it('noeviction: no warning', async () => {
    assert.deepEqual(await warningsWith('noeviction'), []);
  });
});
