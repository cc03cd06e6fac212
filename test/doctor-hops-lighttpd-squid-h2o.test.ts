/**
 * `sluice doctor` through lighttpd, Squid and H2O from Debian (issue 15): each is recognised by
 * its own headers, and each misconfiguration that holds or cuts a stream is named with a fix
 * that, pasted into that server's config, makes the doctor pass. Observed with lighttpd 1.4.69,
 * Squid 5.7 and H2O 2.2.5: lighttpd holds whole responses by default (and ignores
 * X-Accel-Buffering); Squid and H2O stream, but cut silences and (Squid) large bodies.
 *
 * The scenarios run one after another in this one file, for the reason doctor-hops.test.ts gives.
 * Cuts are judged by cause and effect, not by the clock: a cut inside the probe's silence leaves
 * only the first event; with the fix, every event and [DONE] arrive.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DoctorJson } from '../src/doctor/index.ts';
import { applyFix, probeArgs, runDoctor } from './support/intermediaries/doctor-run.ts';
import { startH2o } from './support/intermediaries/h2o.ts';
import { startLighttpd } from './support/intermediaries/lighttpd.ts';
import { startSquid } from './support/intermediaries/squid.ts';
import { startTestSluice, type TestSluice } from './support/sluice.ts';

/** 30 events × ~600 B ≈ 18 KiB. */
const PROBE = probeArgs({ events: 30, intervalMs: 50, pad: 512, silenceMs: 0 });
/**
 * One event, then 6 s without a byte, then two more: longer than the 2 s limits set below, with
 * room for lighttpd's and Squid's once-a-second timeout checks on a busy machine.
 */
const SILENT = probeArgs({ events: 3, intervalMs: 50, pad: 0, silenceMs: 6000 });

let sluice: TestSluice;
let sluicePort: number;
before(async () => {
  sluice = await startTestSluice({ SLUICE_LOG_LEVEL: 'warn' });
  sluicePort = Number(new URL(sluice.url).port);
});
after(() => sluice.stop());

interface Hop {
  readonly url: string;
  stop(): Promise<void>;
}

type Result = DoctorJson & { code: number };

/** Starts a hop, runs the doctor at `target(hop)` (the hop itself by default), stops it. */
async function through(
  start: () => Promise<Hop>,
  args: readonly string[],
  options: { target?: (hop: Hop) => string; env?: (hop: Hop) => Record<string, string> } = {},
): Promise<Result> {
  const hop = await start();
  try {
    const target = options.target?.(hop) ?? hop.url;
    const run = await runDoctor([target, '--json', ...args], undefined, options.env?.(hop));
    assert.ok(run.json, `doctor printed JSON:\n${run.stdout}\n${run.stderr}`);
    return { ...run.json, code: run.code };
  } finally {
    await hop.stop();
  }
}

function explain(result: DoctorJson): string {
  return result.causes.map((c) => `${c.id}: ${c.title}\n  ${c.evidence.join('\n  ')}`).join('\n');
}

function snippetFor(result: DoctorJson, hop: string): string {
  for (const cause of result.causes) {
    const fix = cause.fixes.find((f) => f.hop === hop && f.snippet !== null);
    if (fix?.snippet) return fix.snippet;
  }
  assert.fail(`no ${hop} fix in:\n${explain(result)}`);
}

function assertHealthy(result: Result): void {
  assert.equal(result.verdict, 'ok', explain(result));
  assert.equal(result.code, 0);
  assert.equal(result.causes[0]?.id, 'healthy');
  assert.equal(result.events, result.expected_events);
  assert.notEqual(result.done_ms, null);
}

/** Cut inside the silence: the first event only, no [DONE], blamed on `hop` by its headers. */
function assertCutInSilence(result: Result, hop: string, id: string): void {
  assert.equal(result.verdict, 'cut', explain(result));
  assert.equal(result.code, 1);
  assert.equal(result.causes[0]?.id, id, explain(result));
  assert.equal(result.events, 1, 'the cut came before the silence ended');
  assert.equal(result.done_ms, null);
  assert.ok(result.hops.includes(hop), `${hop} named: ${result.hops.join(', ')}`);
  assert.equal(result.causes[0].suspected, false);
}

describe('doctor through lighttpd', () => {
  const lighttpd = (directives: readonly string[]) => () =>
    startLighttpd({ upstreamPort: sluicePort, directives: directives.join('\n') });

  it('holds the whole response by default: fully buffered, lighttpd named; stream-response-body = 2 passes', async () => {
    const result = await through(lighttpd([]), PROBE);
    assert.equal(result.verdict, 'buffered', explain(result));
    assert.equal(result.causes[0]?.id, 'fully-buffered');
    assert.match(result.headers['server'] ?? '', /^lighttpd\//);
    assert.ok(result.headers['content-length'] !== undefined, 'it counted the whole body');
    assert.deepEqual(result.causes[0].hops, ['lighttpd']);
    assert.doesNotMatch(result.causes[0].fix, /no header names it/);
    const snippet = snippetFor(result, 'lighttpd');
    assert.match(snippet, /^server\.stream-response-body = 2$/m);
    assert.match(snippet, /^server\.stream-request-body = 2$/m);
    assertHealthy(await through(lighttpd(applyFix([], snippet)), PROBE));
  });

  it('server.max-write-idle cuts a silent stream: idle cut, lighttpd named; raising it passes', async () => {
    const broken = ['server.stream-response-body = 2', 'server.max-write-idle = 2'];
    const result = await through(lighttpd(broken), SILENT);
    assertCutInSilence(result, 'lighttpd', 'idle-cut');
    const snippet = snippetFor(result, 'lighttpd');
    assert.equal(snippet, 'server.max-write-idle = 3600');
    assert.ok(
      result.causes[0]?.fixes.some((f) => f.hop === 'sluice'),
      'keepalive advice too',
    );
    assertHealthy(await through(lighttpd(applyFix(broken, snippet)), SILENT));
  });
});

describe('doctor through Squid', () => {
  it('as a reverse proxy it streams, and names itself (Via, X-Cache)', async () => {
    const result = await through(
      () => startSquid({ mode: 'reverse', upstreamPort: sluicePort }),
      PROBE,
    );
    assertHealthy(result);
    assert.ok(result.hops.includes('squid'), result.hops.join(', '));
    const headers = result.fingerprints.filter((f) => f.hop === 'squid').map((f) => f.header);
    assert.ok(headers.includes('via') && headers.includes('x-cache'), headers.join(', '));
  });

  it('as the HTTP_PROXY, read_timeout cuts a silent stream: idle cut, Squid named; raising it passes', async () => {
    const squid = (directives: readonly string[]) => () =>
      startSquid({ mode: 'forward', directives: directives.join('\n') });
    const viaProxy = {
      target: () => sluice.url,
      env: (hop: Hop): Record<string, string> => ({ HTTP_PROXY: hop.url }),
    };
    const broken = ['read_timeout 2 seconds'];
    const result = await through(squid(broken), SILENT, viaProxy);
    assertCutInSilence(result, 'squid', 'idle-cut');
    const snippet = snippetFor(result, 'squid');
    assert.equal(snippet, 'read_timeout 60 minutes');
    assertHealthy(await through(squid(applyFix(broken, snippet)), SILENT, viaProxy));
  });

  it('reply_body_max_size cuts a stream that grows past it: a cut, Squid named; lifting it passes', async () => {
    const squid = (directives: readonly string[]) => () =>
      startSquid({ mode: 'reverse', upstreamPort: sluicePort, directives: directives.join('\n') });
    const broken = ['reply_body_max_size 8 KB'];
    const result = await through(squid(broken), PROBE);
    assert.equal(result.verdict, 'cut', explain(result));
    assert.equal(result.causes[0]?.id, 'total-cut', explain(result));
    assert.ok(result.events < 30 && result.events > 0, `${result.events} events before the cut`);
    assert.ok(result.causes[0].hops.includes('squid'));
    const snippet = snippetFor(result, 'squid');
    assert.equal(snippet, 'reply_body_max_size none');
    assertHealthy(await through(squid(applyFix(broken, snippet)), PROBE));
  });
});

describe('doctor through H2O', () => {
  const h2o = (directives: readonly string[]) => () =>
    startH2o({ upstreamPort: sluicePort, directives: directives.join('\n') });

  it('streams by default and names itself (Server: h2o/…)', async () => {
    const result = await through(h2o([]), PROBE);
    assertHealthy(result);
    assert.deepEqual(result.hops, ['h2o']);
  });

  it('proxy.timeout.io cuts a silent stream: idle cut, H2O named; raising it passes', async () => {
    const broken = ['proxy.timeout.io: 2000'];
    const result = await through(h2o(broken), SILENT);
    assertCutInSilence(result, 'h2o', 'idle-cut');
    const snippet = snippetFor(result, 'h2o');
    assert.equal(snippet, 'proxy.timeout.io: 3600000');
    assertHealthy(await through(h2o(applyFix(broken, snippet)), SILENT));
  });
});
