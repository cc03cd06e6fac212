import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import type { AttemptReport, RequestReport } from '../gateway/index.ts';
import type { Logger, LogLevel } from '../log/index.ts';
import { usageRecord } from '../../test/support/usage-record.ts';
import { exportFailures } from './span-export-failures.ts';
import { planTrace, routeTemplate } from './span-plan.ts';
import { hrTime, startTracing } from './traces.ts';

const T0 = 1_767_225_600_000;

function attempt(fields: Partial<AttemptReport> = {}): AttemptReport {
  return {
    upstream: 'openai',
    key: 'openai#1',
    startedAt: T0 + 2,
    endedAt: T0 + 900,
    answer: 200,
    failedOver: false,
    error: undefined,
    spanId: undefined,
    ...fields,
  };
}

function report(fields: Partial<RequestReport> = {}): RequestReport {
  return {
    record: usageRecord({
      id: 'req_abc000001',
      startedAt: T0,
      endedAt: T0 + 1000,
      endpoint: '/v1/chat/completions',
      model: 'gpt-4.1-mini',
      requestedModel: 'fast',
      upstream: 'openai',
      status: 200,
      clientTtfbMs: 12.5,
      clientTtftMs: 340.25,
      upstreamTtfbMs: 11,
      events: 9,
      bytes: 1234,
      maxGapMs: 80,
      promptTokens: 7,
      completionTokens: 5,
      cost: 0.0001,
      keyPrefix: 'sk-sluice-ab12cd',
      username: 'ada',
      clientIp: '10.0.0.7',
    }),
    attempts: [attempt()],
    errorCode: undefined,
    gaps: undefined,
    trace: undefined,
    ...fields,
  };
}

describe('planTrace', () => {
  it('a served stream: a server span with HTTP, GenAI and sluice attributes, its events in order', () => {
    const { server, clients } = planTrace(report(), 'POST');
    assert.equal(server.name, 'POST /v1/chat/completions');
    assert.equal(server.kind, 'server');
    assert.equal(server.startMs, T0);
    assert.equal(server.endMs, T0 + 1000);
    assert.equal(server.error, undefined);
    assert.deepEqual(server.attributes, {
      'http.request.method': 'POST',
      'url.path': '/v1/chat/completions',
      'http.response.status_code': 200,
      'client.address': '10.0.0.7',
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'fast',
      'gen_ai.response.model': 'gpt-4.1-mini',
      'gen_ai.usage.input_tokens': 7,
      'gen_ai.usage.output_tokens': 5,
      'sluice.request_id': 'req_abc000001',
      'sluice.end_reason': 'done',
      'sluice.events': 9,
      'sluice.bytes': 1234,
      'sluice.upstream': 'openai',
      'sluice.client_ttfb_ms': 12.5,
      'sluice.client_ttft_ms': 340.25,
      'sluice.upstream_ttfb_ms': 11,
      'sluice.max_gap_ms': 80,
      'sluice.cost_usd': 0.0001,
      'sluice.key_prefix': 'sk-sluice-ab12cd',
      'sluice.user': 'ada',
      'sluice.attempts': 1,
    });
    assert.deepEqual(server.events, [
      { name: 'first_byte', atMs: T0 + 12.5 },
      { name: 'first_token', atMs: T0 + 340.25 },
    ]);
    assert.equal(clients.length, 1);
    const [client] = clients;
    assert.ok(client);
    assert.equal(client.name, 'chat gpt-4.1-mini');
    assert.equal(client.kind, 'client');
    assert.equal(client.startMs, T0 + 2);
    assert.equal(client.endMs, T0 + 900);
    assert.equal(client.error, undefined);
    assert.deepEqual(client.attributes, {
      'sluice.upstream': 'openai',
      'sluice.upstream_key': 'openai#1',
      'sluice.answer': '200',
      'sluice.failed_over': false,
      'http.response.status_code': 200,
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4.1-mini',
    });
  });

  it('a failover: a client span per try, the failed one an error, in its own words', () => {
    const { server, clients } = planTrace(
      report({
        attempts: [
          attempt({
            upstream: 'azure',
            key: 'azure#2',
            endedAt: T0 + 50,
            answer: 503,
            failedOver: true,
            error: 'overloaded',
          }),
          attempt({ upstream: 'backup', key: 'backup#1', answer: 'unreachable', failedOver: true }),
          attempt({ startedAt: T0 + 60 }),
        ],
      }),
      'POST',
    );
    assert.equal(server.error, undefined, 'the client was served');
    assert.equal(server.attributes['sluice.attempts'], 3);
    assert.deepEqual(
      clients.map((c) => [c.name, c.error, c.attributes['error.type']]),
      [
        ['chat fast', 'overloaded', '503'],
        ['chat fast', 'unreachable', 'unreachable'],
        ['chat gpt-4.1-mini', undefined, undefined],
      ],
      'tries of another upstream ask for the model by the name the client gave',
    );
    assert.equal(clients[1]?.attributes['http.response.status_code'], undefined);
    assert.equal(clients[0]?.attributes['sluice.failed_over'], true);
  });

  it('a first token in the last millisecond: the span ends no earlier than its event', () => {
    // The record's end is whole ms (rounded down), the TTFT a fraction past it.
    const base = report();
    const plan = planTrace(
      { ...base, record: { ...base.record, endedAt: T0 + 340, clientTtftMs: 340.6 } },
      'POST',
    );
    const firstToken = plan.server.events.find((e) => e.name === 'first_token');
    assert.equal(firstToken?.atMs, T0 + 340.6);
    assert.equal(plan.server.endMs, T0 + 900, 'the try ended later still');
    const alone = planTrace(
      { ...base, attempts: [], record: { ...base.record, endedAt: T0 + 340, clientTtftMs: 340.6 } },
      'POST',
    );
    assert.equal(alone.server.endMs, T0 + 340.6);
  });

  it('a refused request: a server span, no client span, not a server error', () => {
    const { server, clients } = planTrace(
      report({
        record: usageRecord({
          id: 'req_abc000002',
          startedAt: T0,
          endedAt: T0 + 3,
          endpoint: '/v1/chat/completions',
          status: 401,
          endReason: 'rejected',
        }),
        attempts: [],
        errorCode: 'invalid_api_key',
      }),
      undefined,
    );
    assert.equal(server.name, '/v1/chat/completions', 'no method: the route alone');
    assert.equal(server.attributes['http.request.method'], undefined);
    assert.equal(server.attributes['http.response.status_code'], 401);
    assert.equal(server.attributes['error.type'], 'invalid_api_key');
    assert.equal(server.attributes['gen_ai.usage.input_tokens'], undefined, 'no upstream');
    assert.deepEqual(server.events, []);
    assert.equal(server.error, undefined);
    assert.deepEqual(clients, []);
  });

  it('a 5xx or a stream broken after its 200 is a server error', () => {
    const failed = planTrace(
      report({
        record: usageRecord({ id: 'r', startedAt: T0, status: 502, endReason: 'upstream_error' }),
        errorCode: 'upstream_unreachable',
      }),
      'POST',
    );
    assert.equal(failed.server.error, 'upstream_unreachable');
    const broken = planTrace(
      report({ record: usageRecord({ id: 'r', startedAt: T0, endReason: 'timeout' }) }),
      'POST',
    );
    assert.equal(broken.server.error, 'timeout');
    const left = planTrace(
      report({
        record: usageRecord({ id: 'r', startedAt: T0, endReason: 'client_cancelled' }),
        attempts: [attempt({ answer: 'cancelled' })],
      }),
      'POST',
    );
    assert.equal(left.server.error, undefined, 'the client leaving is not a failure');
    assert.equal(left.clients[0]?.error, undefined);
  });

  it('other endpoints: no GenAI operation; object ids out of span names', () => {
    const { server } = planTrace(
      report({
        record: usageRecord({ id: 'r', startedAt: T0, endpoint: '/v1/files/file-abc123/content' }),
        attempts: [attempt()],
      }),
      'GET',
    );
    assert.equal(server.name, 'GET /v1/files/{id}/content');
    assert.equal(server.attributes['url.path'], '/v1/files/file-abc123/content');
    assert.equal(server.attributes['gen_ai.operation.name'], undefined);
  });
});

describe('routeTemplate', () => {
  it('keeps words, turns ids into {id}', () => {
    assert.equal(routeTemplate('/v1/chat/completions'), '/v1/chat/completions');
    assert.equal(routeTemplate('/v1/messages/count_tokens'), '/v1/messages/count_tokens');
    assert.equal(routeTemplate('/v1/models/gpt-4o'), '/v1/models/{id}');
    assert.equal(
      routeTemplate('/v1/threads/thread_a1/runs/run_b2/steps'),
      '/v1/threads/{id}/runs/{id}/steps',
    );
    assert.equal(routeTemplate('/v1/files/file%2Dx'), '/v1/files/{id}');
  });
});

describe('hrTime', () => {
  it('epoch ms, fractions kept, as [s, ns]', () => {
    assert.deepEqual(hrTime(T0 + 340.25), [1_767_225_600, 340_250_000]);
    assert.deepEqual(hrTime(T0), [1_767_225_600, 0]);
    assert.deepEqual(hrTime(T0 + 999.9999999), [1_767_225_601, 0], 'rounding carries');
  });
});

/** A line logged through `capturingLogger`: its level, message and fields as they were given. */
interface Line {
  readonly level: Exclude<LogLevel, 'silent'>;
  readonly msg: string;
  /** `{}` when the line was logged without fields. */
  readonly fields: Readonly<Record<string, unknown>>;
}

function capturingLogger(lines: Line[], onLine: () => void = () => undefined): Logger {
  const at =
    (level: Line['level']) =>
    (msg: string, fields: Record<string, unknown> = {}): void => {
      lines.push({ level, msg, fields });
      onLine();
    };
  const log: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => log,
  };
  return log;
}

describe('exportFailures', () => {
  it('the first failure at once, then one line per interval with what was lost, and the recovery', () => {
    const lines: Line[] = [];
    let now = 0;
    const failures = exportFailures(
      capturingLogger(lines),
      { endpoint: 'e' },
      { everyMs: 1000, now: () => now },
    );
    const error = new Error('connect ECONNREFUSED');
    failures.failed(error, 3);
    assert.equal(lines.length, 1);
    const said = (i: number): Line => {
      const line = lines[i];
      assert.ok(line);
      return line;
    };
    assert.equal(said(0).level, 'warn');
    assert.equal(said(0).fields.spans_lost, 3);
    assert.equal(said(0).fields.error, error);
    for (let i = 0; i < 50; i++) {
      now += 10;
      failures.failed(error, 2);
    }
    assert.equal(lines.length, 1, 'fifty failed batches within the interval: no line');
    now = 1000;
    failures.failed(error, 2);
    assert.equal(lines.length, 2);
    assert.equal(said(1).fields.spans_lost, 102);
    assert.equal(said(1).fields.batches_failed, 51);
    failures.exported();
    failures.exported();
    assert.equal(lines.length, 3, 'the recovery, once');
    assert.equal(said(2).level, 'info');
    assert.equal(said(2).fields.spans_lost, 105);
    failures.failed(error, 1);
    assert.equal(lines.length, 4, 'a new outage is told at once');
  });
});

describe('startTracing', () => {
  it('no endpoint: nothing', async () => {
    const lines: Line[] = [];
    const tracing = await startTracing(
      { endpoint: undefined, headers: {}, serviceName: 'sluice', resourceAttributes: {} },
      capturingLogger(lines),
    );
    assert.equal(tracing, undefined);
    assert.deepEqual(lines, []);
  });

  it('a collector that is down: requests are not troubled, the log hears of it once', async () => {
    // A port nobody listens on.
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as { port: number };
    holder.close();
    await once(holder, 'close');

    const lines: Line[] = [];
    let warned!: () => void;
    const firstWarning = new Promise<void>((resolve) => (warned = resolve));
    const log = capturingLogger(lines, () => {
      if (lines.some((l) => l.level === 'warn')) warned();
    });
    const tracing = await startTracing(
      {
        endpoint: `http://user:pa55word@127.0.0.1:${port}/v1/traces`,
        headers: { authorization: 'Bearer collector-secret' },
        serviceName: 'sluice',
        resourceAttributes: {},
      },
      log,
      { scheduledDelayMs: 1, exportTimeoutMs: 200, closeTimeoutMs: 5000 },
    );
    assert.ok(tracing);
    for (let i = 0; i < 20; i++) tracing.observer.finished(report());
    await firstWarning;
    for (let i = 0; i < 20; i++) tracing.observer.finished(report());
    await tracing.close();
    const warnings = lines.filter((l) => l.level === 'warn');
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(warnings[0]?.msg ?? '', /could not be exported/);
    assert.equal(warnings[0]?.fields.endpoint, `http://127.0.0.1:${port}/v1/traces`);
    const said = JSON.stringify(lines, (_key, value: unknown) =>
      value instanceof Error ? value.message : value,
    );
    assert.ok(!said.includes('pa55word') && !said.includes('collector-secret'), said);
    tracing.observer.finished(report());
  });
});
