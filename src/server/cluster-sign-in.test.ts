import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLoginThrottle } from '../accounts/index.ts';
import { TooManySignInAttemptsError } from '../errors/index.ts';
import { RemoteLoginThrottle, type SignInCall, SignInHost } from './cluster-sign-in.ts';

/** Two workers' throttles on one host, every call through JSON as over the IPC channel. */
function twoWorkers(now: { t: number }) {
  const host = new SignInHost(
    new MemoryLoginThrottle({ userId: () => Promise.resolve('user-1'), now: () => now.t }),
    () => now.t,
  );
  const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;
  const worker = (owner: string) =>
    new RemoteLoginThrottle(async (call) =>
      wire(await host.serve(owner, wire(call) as SignInCall)),
    );
  return { host, a: worker('a'), b: worker('b') };
}

describe('the sign-in throttle of several workers', () => {
  it('locks an account after 5 failures in all, with the 429 of one process', async () => {
    const { a, b } = twoWorkers({ t: 0 });
    for (let i = 0; i < 5; i++) await (i % 2 === 0 ? a : b).check('ada', null);
    await assert.rejects(b.check('ada', null), (error: unknown) => {
      assert.ok(error instanceof TooManySignInAttemptsError);
      assert.match(error.message, /this account; try again in \d+ s/);
      assert.ok(Number(error.headers?.['retry-after']) > 0);
      return true;
    });
  });

  it('a success takes its own attempt back, on whichever worker it began', async () => {
    const { a, b } = twoWorkers({ t: 0 });
    for (let i = 0; i < 4; i++) await b.check('ada', null);
    const right = await a.check('ada', null);
    await right.succeeded();
    await a.check('ada', null); // the account's failures are forgotten
  });

  it('forgets attempts that never succeed, leaving them failures', async () => {
    const now = { t: 0 };
    const { a } = twoWorkers(now);
    const first = await a.check('ada', null);
    now.t += 61_000;
    await first.succeeded(); // too late: the host has let it go
    for (let i = 0; i < 4; i++) await a.check('ada', null);
    await assert.rejects(a.check('ada', null), TooManySignInAttemptsError);
  });
});
