import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../errors/index.ts';
import { loadConfig } from './index.ts';

function problemsOf(env: Record<string, string>, file?: object): string {
  try {
    loadConfig({
      env: file === undefined ? env : { ...env, SLUICE_CONFIG: 'c.json' },
      readFile: () => JSON.stringify(file),
    });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join('\n');
    throw error;
  }
  assert.fail('expected a ConfigError');
}

describe('telemetry configuration', () => {
  it('metrics: open on the main port, no per-key labels, unless told otherwise', () => {
    assert.deepEqual(loadConfig({ env: {} }).metrics, {
      token: undefined,
      listen: undefined,
      labels: [],
    });
    const told = loadConfig({
      env: {
        SLUICE_METRICS_TOKEN: 'a-long-enough-token',
        SLUICE_METRICS_LISTEN: '[::1]:9464',
        SLUICE_METRICS_LABELS: 'user, key',
      },
    }).metrics;
    assert.deepEqual(told, {
      token: 'a-long-enough-token',
      listen: { host: '::1', port: 9464 },
      labels: ['user', 'key'],
    });
    const fromFile = loadConfig({
      env: { SLUICE_CONFIG: 'c.json' },
      readFile: () => JSON.stringify({ metrics: { listen: '127.0.0.1:0', labels: ['key'] } }),
    }).metrics;
    assert.deepEqual(fromFile.listen, { host: '127.0.0.1', port: 0 });
    assert.deepEqual(fromFile.labels, ['key']);
  });

  it('refuses a short token, an address without a port, an unknown label', () => {
    assert.match(problemsOf({ SLUICE_METRICS_TOKEN: 'short' }), /at least 16/);
    assert.match(
      problemsOf({ SLUICE_METRICS_LISTEN: '9464' }),
      /SLUICE_METRICS_LISTEN must be host:port/,
    );
    assert.match(problemsOf({ SLUICE_METRICS_LISTEN: 'h:70000' }), /host:port/);
    assert.match(problemsOf({ SLUICE_METRICS_LABELS: 'ip' }), /takes key, user.*"ip"/);
    assert.match(problemsOf({}, { metrics: { lables: [] } }), /did you mean "labels"/);
  });

  it('traces: only where the standard OpenTelemetry variables point', () => {
    assert.equal(loadConfig({ env: {} }).traces.endpoint, undefined);
    const base = loadConfig({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=a%20b,authorization=Bearer t',
        OTEL_SERVICE_NAME: 'edge-gw',
      },
    }).traces;
    assert.deepEqual(base, {
      endpoint: 'http://127.0.0.1:4318/v1/traces',
      headers: { 'x-tenant': 'a b', authorization: 'Bearer t' },
      serviceName: 'edge-gw',
      resourceAttributes: {},
    });
    // OTEL_RESOURCE_ATTRIBUTES: on every span; its service.name yields to OTEL_SERVICE_NAME.
    const described = (env: Record<string, string>) =>
      loadConfig({
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
          OTEL_RESOURCE_ATTRIBUTES:
            'deployment.environment=prod,service.name=from-attrs,team=a%2Cb',
          ...env,
        },
      }).traces;
    assert.deepEqual(described({}).resourceAttributes, {
      'deployment.environment': 'prod',
      'service.name': 'from-attrs',
      team: 'a,b',
    });
    assert.equal(described({}).serviceName, 'from-attrs');
    assert.equal(described({ OTEL_SERVICE_NAME: 'edge-gw' }).serviceName, 'edge-gw');
    assert.match(
      problemsOf({ OTEL_RESOURCE_ATTRIBUTES: 'no-equals-sign' }),
      /OTEL_RESOURCE_ATTRIBUTES takes key=value pairs/,
    );
    assert.match(problemsOf({ OTEL_RESOURCE_ATTRIBUTES: 'bad=%E0%A4%A' }), /key=value pairs/);
    const exact = loadConfig({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom',
      },
    }).traces;
    assert.equal(exact.endpoint, 'http://b:4318/custom');
    for (const off of [{ OTEL_SDK_DISABLED: 'true' }, { OTEL_TRACES_EXPORTER: 'none' }])
      assert.equal(
        loadConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', ...off } }).traces
          .endpoint,
        undefined,
      );
    assert.match(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://a:4317' }), /http\(s\) URL/);
  });

  it('log format: pretty or json, unset means decided by the terminal', () => {
    assert.equal(loadConfig({ env: {} }).logFormat, undefined);
    assert.equal(loadConfig({ env: { SLUICE_LOG_FORMAT: 'pretty' } }).logFormat, 'pretty');
    assert.match(
      problemsOf({ SLUICE_LOG_FORMAT: 'yaml' }),
      /SLUICE_LOG_FORMAT must be pretty or json/,
    );
  });
});
