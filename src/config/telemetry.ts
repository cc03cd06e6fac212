/**
 * How Sluice is watched: who may read `/metrics` and where, which extra labels it carries,
 * where traces go (the standard OpenTelemetry variables), and how log lines look.
 */
import type { LogFormat } from '../log/index.ts';
import { type Env } from './values.ts';
import { nonEmpty } from './read.ts';
import type { ConfigFile } from './schema.ts';

export type MetricsLabel = 'key' | 'user';
const METRICS_LABELS: readonly MetricsLabel[] = ['key', 'user'];

export interface MetricsConfig {
  /** `/metrics` asks for it as a Bearer token when set (`SLUICE_METRICS_TOKEN`). */
  readonly token: string | undefined;
  /** `/metrics` is served only there, not on the main port, when set (`SLUICE_METRICS_LISTEN`). */
  readonly listen: { readonly host: string; readonly port: number } | undefined;
  /** Labels that grow with the number of keys or users, off unless asked for (`SLUICE_METRICS_LABELS=key,user`). */
  readonly labels: readonly MetricsLabel[];
}

export interface TracesConfig {
  /** Where spans are posted (OTLP/HTTP, JSON), `…/v1/traces`; none: no tracing at all. */
  readonly endpoint: string | undefined;
  /** `OTEL_EXPORTER_OTLP_HEADERS` / `…_TRACES_HEADERS`: `key=value,key2=value2`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  /** `OTEL_RESOURCE_ATTRIBUTES`: `deployment.environment=prod,…`, on every span's resource. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

export function metricsConfig(env: Env, file: ConfigFile, problems: string[]): MetricsConfig {
  const token = nonEmpty(env.SLUICE_METRICS_TOKEN) ?? nonEmpty(file.metrics?.token);
  if (token !== undefined && token.length < 16)
    problems.push(
      `SLUICE_METRICS_TOKEN is ${token.length} characters long; use at least 16 (\`openssl rand -hex 16\`).`,
    );
  const listenText = nonEmpty(env.SLUICE_METRICS_LISTEN) ?? nonEmpty(file.metrics?.listen);
  const listen = listenText === undefined ? undefined : hostPort(listenText);
  if (listenText !== undefined && listen === undefined)
    problems.push(
      `SLUICE_METRICS_LISTEN must be host:port, such as 127.0.0.1:9464 or [::1]:9464; got "${listenText}".`,
    );
  const labelText = env.SLUICE_METRICS_LABELS ?? file.metrics?.labels?.join(',') ?? '';
  const labels: MetricsLabel[] = [];
  for (const part of labelText.split(',')) {
    const name = part.trim();
    if (name === '') continue;
    if ((METRICS_LABELS as readonly string[]).includes(name)) labels.push(name as MetricsLabel);
    else
      problems.push(
        `SLUICE_METRICS_LABELS takes ${METRICS_LABELS.join(', ')} (comma-separated); got "${name}".`,
      );
  }
  return { token, listen, labels };
}

/** `host:port`, `[v6]:port`; the port 0-65535. */
function hostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: match[1] ?? match[2] ?? '', port };
}

/**
 * The OpenTelemetry SDK's own variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as it is, or
 * `OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/traces` appended; `OTEL_SDK_DISABLED=true` or
 * `OTEL_TRACES_EXPORTER=none` turn tracing off; `OTEL_RESOURCE_ATTRIBUTES` describe the process,
 * and `OTEL_SERVICE_NAME` wins over a `service.name` among them (as the specification says).
 */
export function tracesConfig(env: Env, problems: string[]): TracesConfig {
  const resourceAttributes = keyValues(env, 'OTEL_RESOURCE_ATTRIBUTES', problems);
  const serviceName =
    nonEmpty(env.OTEL_SERVICE_NAME) ?? nonEmpty(resourceAttributes['service.name']) ?? 'sluice';
  const off =
    nonEmpty(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true' ||
    nonEmpty(env.OTEL_TRACES_EXPORTER)?.toLowerCase() === 'none';
  const exact = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const base = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const endpoint = off
    ? undefined
    : (exact ?? (base === undefined ? undefined : base.replace(/\/+$/, '') + '/v1/traces'));
  if (endpoint !== undefined) {
    let ok = false;
    try {
      const url = new URL(endpoint);
      ok = url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      // reported below
    }
    if (!ok)
      problems.push(
        `${exact === undefined ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'} must be an http(s) URL such as http://127.0.0.1:4318; got "${exact ?? base ?? ''}".`,
      );
    if (!ok) return { endpoint: undefined, headers: {}, serviceName, resourceAttributes };
  }
  const headers = {
    ...keyValues(env, 'OTEL_EXPORTER_OTLP_HEADERS', problems),
    ...keyValues(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS', problems),
  };
  return { endpoint, headers, serviceName, resourceAttributes };
}

/** `key=value,key2=value2`, each side percent-decoded (the W3C Baggage form the spec uses). */
function keyValues(env: Env, name: string, problems: string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const pair of (env[name] ?? '').split(',')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    const key = at > 0 ? percentDecoded(pair.slice(0, at)) : undefined;
    const value = at > 0 ? percentDecoded(pair.slice(at + 1)) : undefined;
    if (key === undefined || key === '' || value === undefined) {
      problems.push(`${name} takes key=value pairs separated by commas; got "${pair.trim()}".`);
      continue;
    }
    values[key] = value;
  }
  return values;
}

/** `text` trimmed and percent-decoded; undefined when an escape is malformed. */
function percentDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text.trim());
  } catch {
    return undefined;
  }
}

/** `SLUICE_LOG_FORMAT`; unset: readable text on a terminal, JSON lines otherwise. */
export function logFormat(
  value: unknown,
  source: string,
  problems: string[],
): LogFormat | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'pretty' || value === 'json') return value;
  problems.push(`${source} must be pretty or json; got ${JSON.stringify(value)}.`);
  return undefined;
}
