/**
 * Sluice asks the kernel for the largest accept queue it allows (`net.core.somaxconn`), one
 * process or several workers alike. With Node's default, 511, a burst of thousands of
 * connections (the benchmark's 5000 streams) overflowed it: the kernel dropped handshakes and
 * clients waited a second or more for a retransmission before their first byte.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { spawnSluice } from './support/sluice-process.ts';

/**
 * The accept queue the kernel gave the socket listening on `port`, as `ss` reads it over
 * netlink: a listening socket's Send-Q is its largest accept queue.
 */
function listenBacklog(port: number): number | undefined {
  const out = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
  const [, , sendQ] = out.trim().split(/\s+/);
  return sendQ === undefined ? undefined : Number(sendQ);
}

const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
const expected = Math.min(somaxconn, 65_535);

describe('the listening socket', () => {
  for (const [what, args] of [
    ['one process', []],
    ['two workers', ['--workers', '2']],
  ] as const) {
    it(`${what}: the kernel's largest accept queue, not Node's 511`, async () => {
      const sluice = await spawnSluice({ HOST: '127.0.0.1' }, [...args]);
      try {
        assert.ok(somaxconn > 511, 'a kernel whose limit is above Node’s default');
        assert.equal(listenBacklog(Number(new URL(sluice.url).port)), expected);
      } finally {
        sluice.child.kill('SIGTERM');
        await sluice.exited;
      }
    });
  }
});
