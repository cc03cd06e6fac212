import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Held, Minted } from './minted.ts';

describe('Minted', () => {
  it('mints once for everyone waiting, and keeps it until five minutes before it expires', async () => {
    let now = 0;
    let mints = 0;
    const held: Held<string> = {};
    const minted = new Minted(
      async () => {
        mints++;
        await new Promise((resolve) => setImmediate(resolve));
        return { value: `v${mints}`, expiresAt: now + 60 * 60_000 };
      },
      held,
      () => now,
    );
    assert.deepEqual(
      await Promise.all(Array.from({ length: 10 }, () => minted.get())),
      Array(10).fill('v1'),
    );
    now += 54 * 60_000;
    assert.equal(await minted.get(), 'v1');
    now += 2 * 60_000; // 4 minutes left: inside the margin
    assert.equal(await minted.get(), 'v2');
    assert.equal(held.current?.value, 'v2', 'kept where the caller shares it');
    // Another Minted over the same place (a reload) uses what is there.
    assert.equal(
      await new Minted(
        () => Promise.reject(new Error('no')),
        held,
        () => now,
      ).get(),
      'v2',
    );
  });

  it('does not keep a failure: the next request mints again', async () => {
    let fail = true;
    const minted = new Minted(() =>
      fail
        ? Promise.reject(new Error('endpoint down'))
        : Promise.resolve({ value: 'ok', expiresAt: Date.now() + 3_600_000 }),
    );
    await assert.rejects(minted.get(), /endpoint down/);
    fail = false;
    assert.equal(await minted.get(), 'ok');
  });
});
