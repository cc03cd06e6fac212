/**
 * Traces: one OpenTelemetry trace per finished request — a server span, a client span per try
 * of an upstream, the first byte and first token as events — built after the fact from the
 * gateway's report (`span-plan.ts`) and posted in batches to an OTLP/HTTP collector
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, JSON). Without an endpoint nothing of the SDK is loaded: its
 * packages are imported here, on demand, and only then.
 *
 * A request's trace is the client's when it sent a W3C `traceparent` (the server span is a
 * child of the client's span), and each try's client span has the id the upstream was told
 * (`gateway/trace-hop.ts`): the ids chosen while the request ran are given to the SDK as its
 * spans are built (`PlannedIds`). The request's method is not known to the report.
 */
import { readFile } from 'node:fs/promises';
import type { Context, HrTime } from '@opentelemetry/api';
import type { IdGenerator, SpanExporter } from '@opentelemetry/sdk-trace';
import type { TracesConfig } from '../config/index.ts';
import type { GatewayObserver, RequestReport } from '../gateway/index.ts';
import type { Logger } from '../log/index.ts';
import { withoutCredentials } from '../upstream/index.ts';
import type { ExportFailures } from './span-export-failures.ts';
import type { SpanPlan } from './span-plan.ts';

export interface Tracing {
  /** Hears of every finished request; returns at once (spans are built in a later turn). */
  readonly observer: GatewayObserver;
  /** Builds what waits, sends every span still held (for at most `closeTimeoutMs`), stops. */
  close(): Promise<void>;
}

export interface TracingOptions {
  /** This process's id, as the resource's `service.instance.id`. */
  readonly instance?: string;
  /** How long spans wait to be sent in a batch; the SDK's 5 s by default. */
  readonly scheduledDelayMs?: number;
  /** How long one export may take, retries included; the SDK's 10 s by default. */
  readonly exportTimeoutMs?: number;
  /** How long `close` waits for the last spans to be taken; 5 s by default. */
  readonly closeTimeoutMs?: number;
}

/** `ExportResultCode.SUCCESS` of `@opentelemetry/core`. */
const EXPORT_SUCCESS = 0;

/** Undefined, at no cost, when no endpoint is configured. */
export async function startTracing(
  config: TracesConfig,
  log: Logger,
  options: TracingOptions = {},
): Promise<Tracing | undefined> {
  const { endpoint } = config;
  if (endpoint === undefined) return undefined;
  const [
    api,
    { TraceState },
    sdk,
    { OTLPTraceExporter },
    resources,
    { planTrace },
    { exportFailures },
    version,
  ] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('./span-plan.ts'),
    import('./span-export-failures.ts'),
    packageVersion(),
  ]);
  const shownEndpoint = withoutCredentials(endpoint);
  const failures = exportFailures(log, { endpoint: shownEndpoint });
  const exporter = new OTLPTraceExporter({
    url: endpoint,
    headers: { ...config.headers },
    ...(options.exportTimeoutMs === undefined ? {} : { timeoutMillis: options.exportTimeoutMs }),
  });
  const ids = new PlannedIds(new sdk.RandomIdGenerator());
  const provider = new sdk.TracerProvider({
    idGenerator: ids,
    resource: resources.defaultResource().merge(
      resources.resourceFromAttributes({
        ...config.resourceAttributes,
        'service.name': config.serviceName,
        ...(version === undefined ? {} : { 'service.version': version }),
        ...(options.instance === undefined ? {} : { 'service.instance.id': options.instance }),
      }),
    ),
    spanProcessors: [
      new sdk.BatchSpanProcessor({
        exporter: watched(exporter, failures),
        ...(options.scheduledDelayMs === undefined
          ? {}
          : { scheduledDelayMillis: options.scheduledDelayMs }),
      }),
    ],
  });
  const tracer = provider.getTracer('sluice', version);

  const start = (plan: SpanPlan, parent: Context, planned: Planned) => {
    ids.plan(planned);
    const span = tracer.startSpan(
      plan.name,
      {
        kind: plan.kind === 'server' ? api.SpanKind.SERVER : api.SpanKind.CLIENT,
        startTime: hrTime(plan.startMs),
        attributes: plan.attributes,
      },
      parent,
    );
    ids.plan(NONE_PLANNED);
    for (const event of plan.events) span.addEvent(event.name, hrTime(event.atMs));
    if (plan.error !== undefined)
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: plan.error });
    return span;
  };
  const trace = (report: RequestReport) => {
    // The report does not carry the request's method: spans are named by route alone.
    const plan = planTrace(report, undefined);
    const { trace: planned } = report;
    const parent = planned?.parent;
    const remote =
      parent === undefined
        ? api.ROOT_CONTEXT
        : api.trace.setSpanContext(api.ROOT_CONTEXT, {
            traceId: parent.traceId,
            spanId: parent.parentId,
            traceFlags: parent.flags,
            isRemote: true,
            ...(planned?.state === undefined ? {} : { traceState: new TraceState(planned.state) }),
          });
    const server = start(plan.server, remote, planned ?? NONE_PLANNED);
    const within = api.trace.setSpan(remote, server);
    plan.clients.forEach((client, i) => {
      const spanId = report.attempts[i]?.spanId;
      start(client, within, spanId === undefined ? NONE_PLANNED : { spanId }).end(
        hrTime(client.endMs),
      );
    });
    server.end(hrTime(plan.server.endMs));
  };

  // Spans are built in a later turn of the event loop, a batch at a time, so the request that
  // reports pays for a push onto a list and nothing else.
  let waiting: RequestReport[] = [];
  let scheduled = false;
  let closed = false;
  let buildFailed = false;
  const build = () => {
    scheduled = false;
    const reports = waiting;
    waiting = [];
    for (const report of reports) {
      try {
        trace(report);
      } catch (error) {
        // A bug, not an outage: said once, not once per request.
        if (!buildFailed)
          log.error('could not build the spans of a request; further failures go unsaid', {
            request_id: report.record.id,
            error,
          });
        buildFailed = true;
      }
    }
  };

  log.info('traces', { endpoint: shownEndpoint, service: config.serviceName });
  return {
    observer: {
      finished(report) {
        if (closed) return;
        waiting.push(report);
        if (scheduled) return;
        scheduled = true;
        setImmediate(build);
      },
    },
    async close() {
      if (closed) return;
      closed = true;
      build();
      const deadlineMs = options.closeTimeoutMs ?? 5000;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(resolve, deadlineMs, 'late');
      });
      try {
        const outcome = await Promise.race([provider.shutdown(), late]);
        if (outcome === 'late')
          log.warn('the last spans were not taken in time; they are lost', {
            endpoint: shownEndpoint,
            waited_ms: deadlineMs,
          });
      } catch {
        // A failed export: already in the log (span-export-failures.ts).
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

interface Planned {
  readonly traceId?: string | undefined;
  readonly spanId?: string | undefined;
}

const NONE_PLANNED: Planned = {};

/**
 * The SDK's ids, except for the next span's when planned: the trace and span ids the gateway
 * chose while the request ran, which the client and the upstream were told. Spans are built
 * one at a time, synchronously, so "the next span" is the one `startSpan` makes now.
 */
class PlannedIds implements IdGenerator {
  readonly #random: IdGenerator;
  #next: Planned = NONE_PLANNED;

  constructor(random: IdGenerator) {
    this.#random = random;
  }

  plan(next: Planned): void {
    this.#next = next;
  }

  generateTraceId(): string {
    return this.#next.traceId ?? this.#random.generateTraceId();
  }

  generateSpanId(): string {
    return this.#next.spanId ?? this.#random.generateSpanId();
  }
}

/** The exporter, with each batch's outcome told to `failures` (the SDK itself says nothing). */
function watched(inner: SpanExporter, failures: ExportFailures): SpanExporter {
  return {
    export(spans, done) {
      inner.export(spans, (result) => {
        if ((result.code as number) === EXPORT_SUCCESS) failures.exported();
        else failures.failed(result.error, spans.length);
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

/** Epoch ms, fractions kept, as OpenTelemetry's [seconds, nanoseconds]. */
export function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}

async function packageVersion(): Promise<string | undefined> {
  try {
    const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
    const { version } = JSON.parse(text) as { version?: unknown };
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}
