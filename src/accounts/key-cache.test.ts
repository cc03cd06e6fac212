/**
 * The authenticator's key cache (issue #16). Asking the store for every request was the largest
 * part of what Sluice added to a stream's first byte (a query on SQLite, a round trip to
 * PostgreSQL), so the store's answer for a key is kept — and the price is a bound: a change made
 * elsewhere (another instance, a worker, the CLI) takes effect within `cacheMs` of it, never
 * later; a change made through this process's `Accounts` at once.
 *
 * Time moves only through injected clocks, never by sleeping. The bound is checked with two
 * instances sharing one PostgreSQL database, each with its own store connection, cache and
 * clock, as two Sluice processes have.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SluiceError, StoreUnavailableError } from '../errors/index.ts';
import { NO_LIMITS, openStore, type Store } from '../store/index.ts';
import type { ApiKey, User } from '../store/types.ts';
import { testDatabase, type TestDatabase } from '../../test/support/postgres.ts';
import { Accounts } from './accounts.ts';
import { hashKey } from './api-keys.ts';
import { type Authenticator, KEY_CACHE_MS, KeyAuthenticator } from './authenticator.ts';

const DEFAULTS = { key: NO_LIMITS, user: NO_LIMITS };
const PASSWORD = 'a long test passphrase';

/** A clock that moves only when told. */
function manualClock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

/** `ok <user>`, or the error's status and code: what the gateway would answer. */
async function outcome(auth: Authenticator, secret: string): Promise<string> {
  try {
    const principal = await auth.authenticate(secret);
    return principal.kind === 'key' ? `ok ${principal.user.username}` : principal.kind;
  } catch (error) {
    if (error instanceof SluiceError) return `${error.status} ${error.code}`;
    throw error;
  }
}

const USER: User = {
  id: 'usr_1',
  username: 'ada',
  role: 'user',
  disabled: false,
  createdAt: 0,
  updatedAt: 0,
  limits: NO_LIMITS,
};
const KEY: ApiKey = {
  id: 'key_1',
  userId: USER.id,
  name: '',
  prefix: 'sk-sluice-abcdef',
  createdAt: 0,
  lastUsedAt: null,
  expiresAt: null,
  revokedAt: null,
  models: null,
  limits: NO_LIMITS,
  routes: [],
};
const SECRET = 'sk-sluice-abcdef0123456789012345678901234567890123';

/** A store that knows one key and counts how often it is asked; `answer` replaces its answer. */
function countingStore() {
  const state = {
    lookups: 0,
    found: { key: KEY, user: USER } as { key: ApiKey; user: User } | undefined,
    /** When set, lookups wait for `release` (a lookup under way). */
    held: undefined as Promise<undefined> | undefined,
    down: false,
  };
  const store = {
    async findKeyByHash(hash: string) {
      state.lookups++;
      const answer = hash === hashKey(SECRET) ? state.found : undefined;
      if (state.held !== undefined) await state.held;
      if (state.down) throw new StoreUnavailableError('The store is down.');
      return answer;
    },
  } as unknown as Store;
  const hold = () => {
    const { promise, resolve } = Promise.withResolvers<undefined>();
    state.held = promise;
    return () => {
      state.held = undefined;
      resolve(undefined);
    };
  };
  return { store, state, hold };
}

describe('key cache', () => {
  it('asks the store once per key within cacheMs, and again once the answer is that old', async () => {
    const { store, state } = countingStore();
    const clock = manualClock();
    const auth = new KeyAuthenticator({ adminKey: undefined, store, clock: clock.now });
    assert.equal(await outcome(auth, SECRET), 'ok ada');
    clock.advance(KEY_CACHE_MS - 1);
    assert.equal(await outcome(auth, SECRET), 'ok ada');
    assert.equal(state.lookups, 1, 'the second request was answered from the cache');
    clock.advance(1);
    assert.equal(await outcome(auth, SECRET), 'ok ada');
    assert.equal(state.lookups, 2, 'an answer cacheMs old is not used');
  });

  it('keeps no answer for an unknown key: each attempt asks the store', async () => {
    const { store, state } = countingStore();
    const auth = new KeyAuthenticator({ adminKey: undefined, store, clock: manualClock().now });
    const unknown = 'sk-sluice-unknown0123456789012345678901234567890';
    assert.equal(await outcome(auth, unknown), '401 invalid_api_key');
    assert.equal(await outcome(auth, unknown), '401 invalid_api_key');
    assert.equal(state.lookups, 2);
  });

  it('cacheMs 0 asks the store for every request', async () => {
    const { store, state } = countingStore();
    const auth = new KeyAuthenticator({ adminKey: undefined, store, cacheMs: 0 });
    for (let i = 0; i < 3; i++) assert.equal(await outcome(auth, SECRET), 'ok ada');
    assert.equal(state.lookups, 3);
  });

  it('a burst of requests with one key while its lookup is under way asks once', async () => {
    const { store, state, hold } = countingStore();
    const auth = new KeyAuthenticator({ adminKey: undefined, store, clock: manualClock().now });
    const release = hold();
    const burst = [0, 1, 2, 3].map(() => outcome(auth, SECRET));
    release();
    assert.deepEqual(await Promise.all(burst), ['ok ada', 'ok ada', 'ok ada', 'ok ada']);
    assert.equal(state.lookups, 1);
  });

  it('a revoked key is refused from its cached answer too (revocation is for good)', async () => {
    const { store, state } = countingStore();
    state.found = { key: { ...KEY, revokedAt: 5 }, user: USER };
    const auth = new KeyAuthenticator({ adminKey: undefined, store, clock: manualClock().now });
    assert.equal(await outcome(auth, SECRET), '401 invalid_api_key');
    assert.equal(await outcome(auth, SECRET), '401 invalid_api_key');
    assert.equal(state.lookups, 1);
  });

  it('an outage: a key seen valid keeps working past cacheMs, up to staleMs; then 503', async () => {
    const { store, state } = countingStore();
    const clock = manualClock();
    const auth = new KeyAuthenticator({
      adminKey: undefined,
      store,
      clock: clock.now,
      staleMs: 60_000,
    });
    assert.equal(await outcome(auth, SECRET), 'ok ada');
    state.down = true;
    clock.advance(KEY_CACHE_MS);
    assert.equal(await outcome(auth, SECRET), 'ok ada', 'the store was asked, and is down');
    assert.equal(state.lookups, 2);
    clock.advance(60_000 - KEY_CACHE_MS);
    assert.equal(await outcome(auth, SECRET), '503 store_unavailable');
    const unknown = 'sk-sluice-unknown0123456789012345678901234567890';
    assert.equal(await outcome(auth, unknown), '503 store_unavailable');
  });
});

describe('key cache, changes made through this process', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-key-cache-'));
    store = await openStore({ dataDir: dir, databaseUrl: undefined });
    // The first user is an admin, and the last admin cannot be disabled: someone else is.
    await new Accounts(store, DEFAULTS).addUser({ username: 'root', password: PASSWORD });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a key revoked or a user disabled through Accounts is refused here at once', async () => {
    const accounts = new Accounts(store, DEFAULTS);
    const clock = manualClock();
    const auth = new KeyAuthenticator({ adminKey: undefined, store, clock: clock.now });
    await accounts.addUser({ username: 'bob', password: PASSWORD });
    const revoked = await accounts.createKey({ username: 'bob' });
    const other = await accounts.createKey({ username: 'bob' });
    assert.equal(await outcome(auth, revoked.secret), 'ok bob');
    assert.equal(await outcome(auth, other.secret), 'ok bob');
    // No time passes: only the change itself can make the cache ask again.
    await accounts.revokeKey(revoked.key.id);
    assert.equal(await outcome(auth, revoked.secret), '401 invalid_api_key');
    assert.equal(await outcome(auth, other.secret), 'ok bob');
    await accounts.setDisabled('bob', true);
    assert.equal(await outcome(auth, other.secret), '403 account_disabled');
  });

  it('a lookup begun before such a change is not shared with requests after it', async () => {
    const accounts = new Accounts(store, DEFAULTS);
    await accounts.addUser({ username: 'cy', password: PASSWORD });
    const { secret, key } = await accounts.createKey({ username: 'cy' });
    // The store answers the first lookup only once the revocation is in: it saw the key valid.
    const { promise: firstAnswered, resolve } = Promise.withResolvers<undefined>();
    const answerFirst = () => {
      resolve(undefined);
    };
    let lookups = 0;
    // The same store, seen through what the authenticator and `revokeKey` use of it.
    const slow = {
      getKey: (id: string) => store.getKey(id),
      listKeys: () => store.listKeys(),
      revokeKey: (id: string, at: number) => store.revokeKey(id, at),
      findKeyByHash: async (hash: string) => {
        const found = await store.findKeyByHash(hash);
        if (++lookups === 1) await firstAnswered;
        return found;
      },
    } as unknown as Store;
    const auth = new KeyAuthenticator({ adminKey: undefined, store: slow });
    const before = outcome(auth, secret);
    await new Accounts(slow, DEFAULTS).revokeKey(key.id);
    const after = outcome(auth, secret);
    answerFirst();
    assert.equal(await before, 'ok cy', 'asked before the revocation');
    assert.equal(await after, '401 invalid_api_key', 'asked after it: a lookup of its own');
    assert.equal(lookups, 2);
  });
});

describe('key cache: two instances sharing PostgreSQL', () => {
  let database: TestDatabase;
  /** Three processes' stores on one database: instances A and B, and the CLI. */
  let a: Store;
  let b: Store;
  let cli: Store;
  before(async () => {
    database = await testDatabase();
    const open = () => openStore({ dataDir: tmpdir(), databaseUrl: database.url });
    a = await open();
    b = await open();
    cli = await open();
    await new Accounts(cli, DEFAULTS).addUser({ username: 'root', password: PASSWORD });
  });
  after(async () => {
    await Promise.all([a.close(), b.close(), cli.close()]);
    await database.drop();
  });

  /** An instance: its own store connection, cache and clock. */
  const instance = (store: Store) => {
    const clock = manualClock();
    return {
      accounts: new Accounts(store, DEFAULTS),
      auth: new KeyAuthenticator({ adminKey: undefined, store, clock: clock.now }),
      clock,
    };
  };

  it('a key revoked on A is refused on A at once and on B once its answer is cacheMs old', async () => {
    const [onA, onB] = [instance(a), instance(b)];
    await onA.accounts.addUser({ username: 'dee', password: PASSWORD });
    const { secret, key } = await onA.accounts.createKey({ username: 'dee' });
    assert.equal(await outcome(onA.auth, secret), 'ok dee');
    assert.equal(await outcome(onB.auth, secret), 'ok dee');

    await onA.accounts.revokeKey(key.id);
    assert.equal(await outcome(onA.auth, secret), '401 invalid_api_key', 'A: at once');
    onB.clock.advance(KEY_CACHE_MS - 1);
    assert.equal(
      await outcome(onB.auth, secret),
      'ok dee',
      'B: still its answer from before the revocation — the bound, and no more',
    );
    onB.clock.advance(1);
    assert.equal(await outcome(onB.auth, secret), '401 invalid_api_key', 'B: within the bound');
  });

  it('a user disabled by the CLI is refused on both instances within the bound', async () => {
    const [onA, onB] = [instance(a), instance(b)];
    await onA.accounts.addUser({ username: 'eve', password: PASSWORD });
    const { secret } = await onA.accounts.createKey({ username: 'eve' });
    assert.equal(await outcome(onA.auth, secret), 'ok eve');
    onB.clock.advance(KEY_CACHE_MS / 2);
    assert.equal(await outcome(onB.auth, secret), 'ok eve');

    await new Accounts(cli, DEFAULTS).setDisabled('eve', true);
    // Each instance's answer ages on its own clock, from when it was read.
    onA.clock.advance(KEY_CACHE_MS);
    assert.equal(await outcome(onA.auth, secret), '403 account_disabled');
    onB.clock.advance(KEY_CACHE_MS - 1);
    assert.equal(await outcome(onB.auth, secret), 'ok eve');
    onB.clock.advance(1);
    assert.equal(await outcome(onB.auth, secret), '403 account_disabled');
  });

  it('new limits set elsewhere reach B’s principal within the bound', async () => {
    const [onA, onB] = [instance(a), instance(b)];
    await onA.accounts.addUser({ username: 'fay', password: PASSWORD });
    const { secret, key } = await onA.accounts.createKey({ username: 'fay' });
    const rpm = async () => {
      const principal = await onB.auth.authenticate(secret);
      return principal.kind === 'key' ? principal.key.limits.rpm : undefined;
    };
    assert.equal(await rpm(), null);
    await cli.updateKey(key.id, { limits: { ...NO_LIMITS, rpm: 7 } });
    onB.clock.advance(KEY_CACHE_MS);
    assert.equal(await rpm(), 7);
  });
});
