import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Agent } from 'undici';
import { Health } from './health.ts';
import { AttemptPlan, healthOutcomes } from './plan.ts';
import type { Upstream } from './upstreams.ts';

/** A clock the test moves. */
function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const dispatcher = new Agent();

function upstream(
  name: string,
  options: { priority?: number; weight?: number; keys?: number; now: () => number },
): Upstream {
  const health = () =>
    new Health({ failures: 3, cooldownMs: 1000, maxCooldownMs: 8000, now: options.now });
  return {
    name,
    family: 'openai',
    origin: 'http://127.0.0.1:1',
    basePath: '/v1',
    dispatcher,
    proxied: false,
    headers: {},
    defaultHeaders: {},
    keys: Array.from({ length: options.keys ?? 1 }, (_, i) => ({
      id: `${name}#${i + 1}`,
      headers: {},
      health: health(),
    })),
    models: undefined,
    aliases: {},
    servesResponses: true,
    endUsers: false,
    priority: options.priority ?? 0,
    weight: options.weight ?? 1,
    azure: undefined,
    vertexClaude: false,
    bedrock: undefined,
    health: health(),
    turn: { current: 0, key: 0 },
    load: { inFlight: 0 },
    demo: false,
  };
}

describe('Health', () => {
  it('opens after the third failure in a row, lets one probe through after the cooldown', () => {
    const c = clock();
    const h = new Health({ failures: 3, cooldownMs: 1000, maxCooldownMs: 8000, now: c.now });
    assert.equal(h.record({ kind: 'failed' }), undefined);
    assert.equal(h.record({ kind: 'ok' }), undefined, 'a success resets the count');
    h.record({ kind: 'failed' });
    h.record({ kind: 'failed' });
    assert.equal(h.record({ kind: 'failed' }, 'ECONNREFUSED'), 'opened');
    assert.equal(h.state, 'open');
    assert.equal(h.admit(), false);
    c.advance(1000);
    assert.equal(h.state, 'half-open');
    assert.equal(h.admit(), true, 'the probe');
    assert.equal(h.admit(), false, 'only one probe at a time');
    h.record({ kind: 'failed' });
    assert.equal(h.openUntil, c.now() + 2000, 'a failed probe doubles the cooldown');
    c.advance(2000);
    assert.equal(h.admit(), true);
    assert.equal(h.record({ kind: 'ok' }), 'closed');
    assert.equal(h.state, 'closed');
  });

  it('a timeout counts as a failure: the third in a row opens the upstream, not its key', () => {
    const c = clock();
    const slow = upstream('slow', { now: c.now });
    const fast = upstream('fast', { priority: 1, now: c.now });
    const key = slow.keys[0];
    assert.ok(key !== undefined);
    // What relay does with a connect or first-byte timeout (attempt.ts answers 'timeout').
    const timedOut = () => {
      const outcome = healthOutcomes('timeout', undefined);
      assert.equal(outcome.failure, 'upstream', 'the next try goes to another upstream');
      if (outcome.upstream !== undefined) slow.health.record(outcome.upstream, 'timed out');
      if (outcome.key !== undefined) key.health.record(outcome.key, 'timed out');
    };
    timedOut();
    timedOut();
    assert.equal(slow.health.state, 'closed', 'two are not enough');
    assert.equal(new AttemptPlan([slow, fast]).next()?.upstream.name, 'slow');
    timedOut();
    assert.equal(slow.health.state, 'open');
    assert.equal(slow.health.reason, 'timed out');
    assert.equal(key.health.state, 'closed', 'a slow upstream says nothing about its key');
    assert.equal(
      new AttemptPlan([slow, fast]).next()?.upstream.name,
      'fast',
      'skipped at no round trip',
    );
    c.advance(1000);
    assert.equal(slow.health.state, 'half-open', 'the same cooldown as any other failure');
  });

  it('a 429 opens it at once until its Retry-After', () => {
    const c = clock();
    const h = new Health({ failures: 3, cooldownMs: 1000, maxCooldownMs: 8000, now: c.now });
    assert.equal(h.record({ kind: 'limited', retryAfterMs: 5000 }), 'opened');
    c.advance(4999);
    assert.equal(h.state, 'open');
    c.advance(1);
    assert.equal(h.state, 'half-open');
  });

  it('a probe whose client left frees the slot for the next', () => {
    const c = clock();
    const h = new Health({ failures: 1, cooldownMs: 1000, maxCooldownMs: 8000, now: c.now });
    h.record({ kind: 'failed' });
    c.advance(1000);
    assert.equal(h.admit(), true);
    h.release();
    assert.equal(h.admit(), true);
  });
});

describe('AttemptPlan', () => {
  it('lower priority first; the next upstream after an upstream failure', () => {
    const c = clock();
    const backup = upstream('backup', { priority: 1, now: c.now });
    const primary = upstream('primary', { priority: 0, now: c.now });
    const plan = new AttemptPlan([backup, primary]);
    assert.equal(plan.next()?.upstream.name, 'primary');
    assert.equal(plan.next('upstream')?.upstream.name, 'backup');
    assert.equal(plan.next('upstream'), undefined);
  });

  it('spreads one priority by weight, deterministically', () => {
    const c = clock();
    const heavy = upstream('heavy', { weight: 3, now: c.now });
    const light = upstream('light', { weight: 1, now: c.now });
    const picks = Array.from(
      { length: 8 },
      () => new AttemptPlan([heavy, light]).next()?.upstream.name,
    );
    assert.equal(picks.filter((n) => n === 'heavy').length, 6);
    assert.equal(picks.filter((n) => n === 'light').length, 2);
    assert.notDeepEqual(picks.slice(0, 4), ['heavy', 'heavy', 'heavy', 'light'].reverse());
  });

  it('the least loaded for its weight goes first; the busier one stays as the fallback', () => {
    const c = clock();
    const heavy = upstream('heavy', { weight: 3, now: c.now });
    const light = upstream('light', { weight: 1, now: c.now });
    const order = () =>
      [new AttemptPlan([heavy, light])].flatMap((plan) => [plan.next(), plan.next('upstream')]);
    // 3 open on heavy (1 per unit of weight), none on light: light, whatever the turn.
    heavy.load.inFlight = 3;
    for (let i = 0; i < 4; i++)
      assert.deepEqual(
        order().map((a) => a?.upstream.name),
        ['light', 'heavy'],
      );
    // 3 on heavy and 1 on light: equally loaded for their weights, round-robin decides again.
    light.load.inFlight = 1;
    const picks = Array.from({ length: 8 }, () => order()[0]?.upstream.name);
    assert.equal(picks.filter((n) => n === 'heavy').length, 6);
    // 4 on heavy, 1 on light: 1.33 against 1 per unit of weight, light.
    heavy.load.inFlight = 4;
    assert.equal(order()[0]?.upstream.name, 'light');
  });

  it('a key failure tries the next key of the same upstream; keys take turns', () => {
    const c = clock();
    const pool = upstream('pool', { keys: 3, now: c.now });
    const plan = new AttemptPlan([pool]);
    assert.equal(plan.next()?.key.id, 'pool#1');
    assert.equal(plan.next('key')?.key.id, 'pool#2');
    assert.equal(plan.next('key')?.key.id, 'pool#3');
    assert.equal(plan.next('key'), undefined);
    assert.equal(
      new AttemptPlan([pool]).next()?.key.id,
      'pool#2',
      'the next request starts further on',
    );
  });

  it('skips what is broken at no round trip; when all is broken, tries the soonest to recover', () => {
    const c = clock();
    const dead = upstream('dead', { now: c.now });
    const alive = upstream('alive', { now: c.now });
    for (let i = 0; i < 3; i++) dead.health.record({ kind: 'failed' });
    assert.equal(new AttemptPlan([dead, alive]).next()?.upstream.name, 'alive');
    for (let i = 0; i < 3; i++) alive.health.record({ kind: 'failed' });
    c.advance(10);
    const plan = new AttemptPlan([dead, alive]);
    assert.equal(plan.next()?.upstream.name, 'dead', 'it opened first, so it recovers first');
    assert.equal(plan.next('upstream'), undefined, 'one such try, not a loop');
  });

  it('a rate-limited key is skipped by the requests that follow', () => {
    const c = clock();
    const pool = upstream('pool', { keys: 2, now: c.now });
    const first = new AttemptPlan([pool]);
    const key = first.next()?.key;
    key?.health.record(healthOutcomes(429, 60_000).key ?? { kind: 'ok' });
    assert.equal(first.next('key')?.key.id, 'pool#2');
    for (let i = 0; i < 3; i++) assert.equal(new AttemptPlan([pool]).next()?.key.id, 'pool#2');
  });
});

describe('healthOutcomes', () => {
  it('says whose fault a try was', () => {
    assert.deepEqual(healthOutcomes(429, 1000), {
      upstream: undefined,
      key: { kind: 'limited', retryAfterMs: 1000 },
      failure: 'key',
    });
    assert.equal(healthOutcomes(401, undefined).failure, 'key');
    assert.equal(healthOutcomes(503, undefined).failure, 'upstream');
    assert.equal(healthOutcomes('unreachable', undefined).failure, 'upstream');
    assert.equal(healthOutcomes(400, undefined).failure, undefined, 'the client’s mistake');
    assert.deepEqual(healthOutcomes(400, undefined).upstream, { kind: 'ok' });
  });
});
