/**
 * `/sluice/probe`: a synthetic stream anyone may read (no key, no upstream), each event numbered
 * and stamped with its send time, every parameter bounded.
 */
import assert from 'node:assert/strict';
import { type IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ProbeRequestView } from '../src/probe/index.ts';
import { SseParser, type SseEvent } from '../src/sse/index.ts';
import { startTestSluice, type TestSluice } from './support/sluice.ts';

let sluice: TestSluice;
before(async () => {
  sluice = await startTestSluice({ SLUICE_KEEPALIVE: '30ms' });
});
after(() => sluice.stop());

async function probe(query: string): Promise<{ response: Response; events: SseEvent[] }> {
  const response = await fetch(`${sluice.url}/sluice/probe?${query}`);
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    for await (const chunk of response.body ?? []) parser.push(chunk);
  }
  return { response, events };
}

/** A probe asked from `address` (one of loopback's), its response not yet read. */
function probeFrom(address: string, query: string) {
  return new Promise<IncomingMessage & { text(): Promise<string> }>((resolve, reject) => {
    const req = request(`${sluice.url}/sluice/probe?${query}`, { localAddress: address });
    req.on('response', (res) => {
      const text = async () => {
        let body = '';
        for await (const chunk of res as AsyncIterable<Buffer>) body += chunk.toString();
        return body;
      };
      resolve(Object.assign(res, { text }));
    });
    req.on('error', reject);
    req.end();
  });
}

type ProbeData = { seq: number; of: number; elapsed_ms: number; t: number; pad: string };

describe('/sluice/probe', () => {
  it('streams numbered, timestamped events without a key, as any relayed stream', async () => {
    const { response, events } = await probe('events=5&interval_ms=10&pad=100');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-accel-buffering'), 'no');
    assert.equal(response.headers.get('cache-control'), 'no-cache, no-transform');
    assert.equal(response.headers.get('x-sluice-probe'), '1');
    const data = events.flatMap((e) => (e.data === undefined ? [] : [e.data]));
    assert.equal(data.at(-1), '[DONE]');
    const probes = data.slice(0, -1).map((d) => JSON.parse(d) as ProbeData);
    assert.deepEqual(
      probes.map((p) => p.seq),
      [0, 1, 2, 3, 4],
    );
    assert.ok(probes.every((p) => p.of === 5 && p.pad.length === 100));
    for (const p of probes)
      assert.ok(p.elapsed_ms >= p.seq * 10 - 1, `event ${p.seq} sent on schedule`);
    // (A keepalive comment may fall between two events on a busy machine: it has no id.)
    assert.deepEqual(
      events
        .filter((e) => e.data !== undefined)
        .slice(0, -1)
        .map((e) => e.id),
      ['0', '1', '2', '3', '4'],
    );
  });

  it('tells what the request looked like on arrival, in the first event only, never secrets', async () => {
    const response = await fetch(`${sluice.url}/sluice/probe?events=3&interval_ms=0`, {
      headers: {
        authorization: 'Bearer sk-sluice-not-for-echo',
        cookie: 'sluice_session=not-for-echo',
        'x-forwarded-for': '203.0.113.9, 10.0.0.2',
        via: '1.1 varnish (Varnish/7.1)',
        'x-sluice-doctor': 'run-42',
      },
    });
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    for await (const chunk of response.body ?? []) parser.push(chunk);
    const [first, ...rest] = events
      .flatMap((e) => (e.data === undefined || e.data === '[DONE]' ? [] : [e.data]))
      .map((d) => JSON.parse(d) as ProbeData & { request?: ProbeRequestView });
    assert.ok(first?.request, 'the first event carries the request');
    // Readers that know only the old fields read on: they are all still there.
    assert.equal(first.seq, 0);
    assert.equal(typeof first.elapsed_ms, 'number');
    assert.equal(first.request.http_version, '1.1');
    assert.equal(first.request.headers['x-forwarded-for'], 'public, private');
    assert.equal(first.request.headers['via'], '1.1 varnish (Varnish/7.1)');
    assert.equal(first.request.doctor, 'run-42');
    assert.doesNotMatch(JSON.stringify(events), /not-for-echo|203\.0\.113|10\.0\.0\.2/);
    assert.ok(rest.length === 2 && rest.every((e) => e.request === undefined));
  });

  it('keeps long intervals alive with comments, but leaves the requested silence silent', async () => {
    const paced = await probe('events=2&interval_ms=100');
    assert.ok(
      paced.events.some((e) => e.comments.includes('keepalive')),
      'keepalives in a 100 ms gap at 30 ms',
    );
    const silent = await probe('events=2&interval_ms=0&silence_ms=150');
    assert.ok(
      !silent.events.some((e) => e.comments.includes('keepalive')),
      'no keepalive inside the silence',
    );
    const second = JSON.parse(silent.events[1]?.data ?? '') as ProbeData;
    assert.ok(second.elapsed_ms >= 149, 'the second event waited out the silence');
  });

  it('refuses parameters out of bounds with a 400 naming the parameter', async () => {
    for (const query of [
      'events=0',
      'events=1001',
      'interval_ms=-1',
      'pad=99999999',
      'silence_ms=x',
      'events=1000&interval_ms=60000',
      // What `Number` reads but is no integer as written, and a parameter given twice.
      'events=0x10',
      'events=1e2',
      'events=%205',
      'pad=+1',
      'events=1&events=900',
    ]) {
      const { response } = await probe(query);
      assert.equal(response.status, 400, query);
      const error = ((await response.json()) as { error: { code: string; param: string } }).error;
      assert.equal(error.code, 'invalid_probe_parameter', query);
    }
  });

  it('one probe at a time on a connection: probes pipelined behind it are refused', async () => {
    // Pipelined on one connection, each took a slot: one socket held all sixteen.
    const url = new URL(sluice.url);
    const socket = connect(Number(url.port), url.hostname);
    const ask = (query: string) => `GET /sluice/probe?${query} HTTP/1.1\r\nHost: x\r\n\r\n`;
    socket.write(ask('events=2&interval_ms=10') + ask('events=1') + ask('events=1'));
    let text = '';
    for await (const chunk of socket as AsyncIterable<Buffer>) {
      text += chunk.toString();
      if ((text.match(/HTTP\/1\.1 /g) ?? []).length === 3 && text.endsWith('}}')) break;
    }
    socket.destroy();
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ['200', '429', '429']);
  });

  it('caps how many probes run at once, and how many of them one address holds', async () => {
    // Last here: the probes it leaves are let go as their connections close. Anyone can open
    // probes: one address could take them all, so it holds at most four (loopback has many).
    const mine = await Promise.all(
      Array.from({ length: 4 }, () => probeFrom('127.0.0.2', 'events=2&interval_ms=60000')),
    );
    const fifth = await probeFrom('127.0.0.2', 'events=1');
    assert.equal(fifth.statusCode, 429);
    assert.match(await fifth.text(), /from one address/);
    const others = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        probeFrom(`127.0.0.${3 + (i % 3)}`, 'events=2&interval_ms=60000'),
      ),
    );
    assert.deepEqual(
      [...mine, ...others].map((r) => r.statusCode),
      Array.from({ length: 16 }, () => 200),
    );
    const extra = await probeFrom('127.0.0.9', 'events=1');
    assert.equal(extra.statusCode, 429);
    assert.equal(extra.headers['retry-after'], '5');
    assert.match(await extra.text(), /At most 16 probes run at once/);
    for (const r of [...mine, ...others]) r.destroy();
  });
});
