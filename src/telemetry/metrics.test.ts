import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { usageRecord } from '../../test/support/usage-record.ts';
import { Gaps } from '../gateway/gaps.ts';
import type { AttemptReport, RequestReport } from '../gateway/index.ts';
import type { UsageRecord } from '../store/types.ts';
import type { Upstream } from '../upstream/index.ts';
import { type LiveState, MAX_MODELS, SluiceMetrics } from './index.ts';

const LIVE: LiveState = {
  streams: { open: 2, paused: 1, bufferedBytes: 300 },
  usagePending: 4,
  bodyBytes: 5,
  draining: false,
  upstreams: [],
};

function report(
  record: Partial<UsageRecord>,
  more: Partial<Omit<RequestReport, 'record'>> = {},
): RequestReport {
  return {
    record: usageRecord({ id: 'r', startedAt: 1_000, ...record }),
    attempts: [],
    errorCode: undefined,
    gaps: undefined,
    trace: undefined,
    ...more,
  };
}

function attempt(upstream: string, answer: AttemptReport['answer'], failedOver = false) {
  return {
    upstream,
    key: `${upstream}#1`,
    startedAt: 0,
    endedAt: 1,
    answer,
    failedOver,
    error: undefined,
    spanId: undefined,
  };
}

/**
 * `name`'s series as `labels → value`, labels in their order; a histogram's keys start with
 * their series' suffix: `_bucket le=0.5,model=m`, `_sum model=m`.
 */
async function values(metrics: SluiceMetrics, name: string): Promise<Record<string, number>> {
  const metric = metrics.registry.getSingleMetric(name);
  assert.ok(metric, name);
  const { values } = await metric.get();
  return Object.fromEntries(
    values.map((v) => {
      const labels = Object.entries(v.labels)
        .map(([k, l]) => `${k}=${String(l)}`)
        .join(',');
      const metricName = (v as { metricName?: string }).metricName;
      return [
        metricName === undefined ? labels : `${metricName.slice(name.length)} ${labels}`,
        v.value,
      ];
    }),
  );
}

describe('SluiceMetrics', () => {
  it('has a registry of its own: two in one process, each with the default metrics', async () => {
    const a = new SluiceMetrics({ labels: [] });
    const b = new SluiceMetrics({ labels: [] });
    a.finished(report({ model: 'm', upstream: 'u' }));
    assert.match(await a.render(LIVE), /^sluice_requests_total\{.*\} 1$/m);
    const text = await b.render(LIVE);
    assert.doesNotMatch(text, /^sluice_requests_total\{/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(text, /^nodejs_heap_size_used_bytes /m);
  });

  it('counts a served request once: status, end reason, latencies, gaps, tokens, cost', async () => {
    const metrics = new SluiceMetrics({ labels: [] });
    const gaps = new Gaps();
    gaps.add(3);
    gaps.add(400);
    metrics.finished(
      report(
        {
          model: 'gpt-x',
          upstream: 'main',
          clientTtfbMs: 20,
          clientTtftMs: 350,
          endedAt: 1_000 + 2_500,
          promptTokens: 10,
          completionTokens: 5,
          cachedTokens: 2,
          reasoningTokens: 0,
          cost: 0.25,
        },
        { gaps, attempts: [attempt('main', 200)] },
      ),
    );
    assert.deepEqual(await values(metrics, 'sluice_requests_total'), {
      'route=/v1/chat/completions,model=gpt-x,upstream=main,status=200,end_reason=done': 1,
    });
    const ttft = await values(metrics, 'sluice_time_to_first_token_seconds');
    assert.equal(ttft['_bucket le=0.25,model=gpt-x,upstream=main'], 0);
    assert.equal(ttft['_bucket le=0.5,model=gpt-x,upstream=main'], 1);
    assert.equal(ttft['_sum model=gpt-x,upstream=main'], 0.35);
    const ttfb = await values(metrics, 'sluice_time_to_first_byte_seconds');
    assert.equal(ttfb['_bucket le=0.025,model=gpt-x,upstream=main'], 1);
    const duration = await values(metrics, 'sluice_request_duration_seconds');
    assert.equal(
      duration['_bucket le=2.5,route=/v1/chat/completions,model=gpt-x,upstream=main'],
      1,
    );
    assert.equal(
      duration['_bucket le=1.5,route=/v1/chat/completions,model=gpt-x,upstream=main'],
      0,
    );
    const gapValues = await values(metrics, 'sluice_inter_event_gap_seconds');
    assert.equal(gapValues['_bucket le=0.005,model=gpt-x,upstream=main'], 1);
    assert.equal(gapValues['_bucket le=0.5,model=gpt-x,upstream=main'], 2);
    assert.deepEqual(await values(metrics, 'sluice_tokens_total'), {
      'model=gpt-x,direction=input': 10,
      'model=gpt-x,direction=output': 5,
      'model=gpt-x,direction=cached': 2,
    });
    assert.deepEqual(await values(metrics, 'sluice_cost_usd_total'), { 'model=gpt-x': 0.25 });
    assert.deepEqual(await values(metrics, 'sluice_upstream_failures_total'), {});
    assert.deepEqual(await values(metrics, 'sluice_failovers_total'), {});
  });

  it('counts failed tries by reason, failovers by the upstream left, limit refusals by code', async () => {
    const metrics = new SluiceMetrics({ labels: [] });
    metrics.finished(
      report(
        { model: 'm', upstream: 'b' },
        {
          attempts: [attempt('a', 'timeout', true), attempt('a', 503, true), attempt('b', 404)],
        },
      ),
    );
    metrics.finished(
      report({ model: 'm', upstream: 'b' }, { attempts: [attempt('b', 'cancelled')] }),
    );
    metrics.finished(
      report(
        { model: 'm', status: 429, endReason: 'rejected', endedAt: 1_001 },
        { errorCode: 'insufficient_quota' },
      ),
    );
    metrics.finished(
      report({ status: 401, endReason: 'rejected' }, { errorCode: 'invalid_api_key' }),
    );
    assert.deepEqual(await values(metrics, 'sluice_upstream_failures_total'), {
      'upstream=a,reason=timeout': 1,
      'upstream=a,reason=503': 1,
    });
    assert.deepEqual(await values(metrics, 'sluice_failovers_total'), { 'upstream=a': 2 });
    assert.deepEqual(await values(metrics, 'sluice_limit_refusals_total'), {
      'reason=rate_limit_exceeded': 0,
      'reason=too_many_streams': 0,
      'reason=insufficient_quota': 1,
      'reason=budget_held': 0,
    });
    const requests = await values(metrics, 'sluice_requests_total');
    assert.equal(
      requests['route=/v1/chat/completions,model=m,upstream=,status=429,end_reason=rejected'],
      1,
    );
    assert.equal(
      requests['route=/v1/chat/completions,model=,upstream=,status=401,end_reason=rejected'],
      1,
    );
    assert.deepEqual(await values(metrics, 'sluice_time_to_first_token_seconds'), {});
  });

  it('labels by key and user only when asked, and caps the model names it keeps', async () => {
    const plain = new SluiceMetrics({ labels: [] });
    const byWho = new SluiceMetrics({ labels: ['key', 'user'] });
    const served = report({ model: 'm', keyPrefix: 'sk-sluice-ab12', username: 'ada', cost: 1 });
    plain.finished(served);
    byWho.finished(served);
    byWho.finished(report({ model: 'm', status: 401, endReason: 'rejected' }));
    assert.deepEqual(Object.keys(await values(plain, 'sluice_cost_usd_total')), ['model=m']);
    assert.deepEqual(await values(byWho, 'sluice_cost_usd_total'), {
      'model=m,key=sk-sluice-ab12,user=ada': 1,
    });
    assert.deepEqual(Object.keys(await values(byWho, 'sluice_requests_total')), [
      'route=/v1/chat/completions,model=m,upstream=,status=200,end_reason=done,key=sk-sluice-ab12,user=ada',
      'route=/v1/chat/completions,model=m,upstream=,status=401,end_reason=rejected,key=,user=',
    ]);

    const capped = new SluiceMetrics({ labels: [] });
    for (let i = 0; i <= MAX_MODELS + 10; i++) capped.finished(report({ model: `model-${i}` }));
    const models = new Set(
      (await capped.registry.getSingleMetric('sluice_requests_total')?.get())?.values.map(
        (v) => v.labels.model,
      ),
    );
    assert.equal(models.size, MAX_MODELS + 1);
    assert.ok(models.has('other'));
  });

  it('reads what is in flight when rendered', async () => {
    const metrics = new SluiceMetrics({ labels: [] });
    const upstream = (name: string, state: string, keys: string[]) =>
      ({
        name,
        health: { state },
        keys: keys.map((k, i) => ({ id: `${name}#${String(i + 1)}`, health: { state: k } })),
      }) as unknown as Upstream;
    const text = await metrics.render({
      ...LIVE,
      draining: true,
      upstreams: [
        upstream('one', 'open', ['closed']),
        upstream('two', 'closed', ['closed', 'half-open']),
      ],
    });
    for (const line of [
      'sluice_streams_open 2',
      'sluice_streams_paused 1',
      'sluice_client_buffered_bytes 300',
      'sluice_usage_records_pending 4',
      'sluice_request_body_bytes_inflight 5',
      'sluice_draining 1',
      'sluice_upstream_breaker_state{upstream="one",key=""} 1',
      'sluice_upstream_breaker_state{upstream="two",key=""} 0',
      'sluice_upstream_breaker_state{upstream="two",key="two#1"} 0',
      'sluice_upstream_breaker_state{upstream="two",key="two#2"} 2',
    ])
      assert.ok(text.split('\n').includes(line), line);
    assert.doesNotMatch(text, /key="one#1"/, 'a single key has no line of its own');
    const later = await metrics.render({ ...LIVE, upstreams: [] });
    assert.doesNotMatch(later, /^sluice_upstream_breaker_state\{/m, 'gone with a reload');
    metrics.countHttp('health', 200);
    metrics.countHttp('health', 200);
    assert.deepEqual(await values(metrics, 'sluice_http_requests_total'), {
      'route_class=health,code=200': 2,
    });
  });
});
