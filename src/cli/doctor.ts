import { parseArgs } from 'node:util';
import { type EgressConfig, egressFromEnv, parseDuration } from '../config/index.ts';
import { ConfigError } from '../errors/index.ts';
import {
  type CaptureFn,
  comparisonJson,
  DEFAULT_PROBE,
  defaultTimeoutMs,
  diagnose,
  diagnoseBoth,
  diagnosisJson,
  type DoctorTarget,
  type ProbeShape,
  renderComparison,
  renderReport,
} from '../doctor/index.ts';
import { PROBE_LIMITS } from '../probe/index.ts';
import { chooseEgress } from '../upstream/index.ts';
import { type Command, type CommandIO, EXIT, UsageError } from './command.ts';
import { onePositional } from './args.ts';

const HELP = `Usage: sluice doctor <url> [options]

Measures one stream through the whole deployed chain (CDN, load balancer, nginx, …) and says
whether it streams; if not, which hop holds the tokens and how to fix it. Against a Sluice it
reads /sluice/probe (no key needed); against any OpenAI-compatible base URL, give --key and
--model for one small streaming chat request.

Exit: 0 streaming, 1 a problem found (buffered, delayed, cut, unreachable, error), 2 usage.

Probe options (a Sluice deployment):
  --events N         events to send (default ${DEFAULT_PROBE.events}, ${PROBE_LIMITS.events.min}–${PROBE_LIMITS.events.max})
  --interval-ms M    gap between events (default ${DEFAULT_PROBE.intervalMs})
  --pad BYTES        padding per event (default ${DEFAULT_PROBE.pad}: enough bytes to fill a 4–8 KiB proxy buffer)
  --silence-ms S     one silent gap after the first event, no keepalives: finds idle timeouts

Other servers:
  --key KEY          API key for <url> (then the URL is an OpenAI-compatible base, e.g. …/v1)
  --model MODEL      model for the chat request

  --compare URL2     run the same test on URL2 too (e.g. Sluice directly vs through nginx) and
                     say where the difference appears
  --json             print the result as JSON
  --timeout DURATION give up after this long, e.g. 90s (default: the probe's length + 30s; 120s
                     for a chat request)
  -h, --help         show this help

Like the gateway, the doctor goes out through HTTPS_PROXY / HTTP_PROXY (NO_PROXY respected),
and says so: a forward proxy is one more hop that may buffer. It cannot use a SOCKS ALL_PROXY
and connects directly then.
`;

export interface DoctorDependencies {
  /** Replaces the HTTP capture (tests). */
  readonly capture?: CaptureFn;
}

export function doctorCommand(deps: DoctorDependencies = {}): Command {
  return {
    name: 'doctor',
    help: HELP,
    async run(args, io) {
      if (args.includes('--help') || args.includes('-h')) {
        io.stdout.write(HELP);
        return EXIT.ok;
      }
      let options: DoctorOptions;
      try {
        options = parseDoctorArgs(args);
      } catch (error) {
        if (!isUsageError(error)) throw error;
        io.stderr.write(
          `sluice doctor: ${error.message}\nUsage: sluice doctor <url> [options]\n` +
            'Run "sluice doctor --help" for usage.\n',
        );
        return EXIT.usage;
      }
      const problems: string[] = [];
      const egress = egressFromEnv(io.env, problems);
      if (problems.length > 0) {
        io.stderr.write(`sluice doctor: ${new ConfigError(problems).message}\n`);
        return EXIT.usage;
      }
      return runDoctor(options, egress, io, deps);
    },
  };
}

export const doctor: Command = doctorCommand();

interface DoctorOptions {
  readonly target: DoctorTarget;
  readonly compare: DoctorTarget | undefined;
  readonly json: boolean;
  readonly timeoutMs: number;
}

async function runDoctor(
  options: DoctorOptions,
  egress: EgressConfig,
  io: CommandIO,
  deps: DoctorDependencies,
): Promise<number> {
  const { target, compare, json, timeoutMs } = options;
  if (!json) {
    io.stderr.write(
      `sluice doctor: testing ${describe(target)}${compare === undefined ? '' : ` and ${describe(compare)}`}…\n`,
    );
    // Per target, by the gateway's rules (NO_PROXY included), so what is said is what happens.
    for (const t of compare === undefined ? [target] : [target, compare]) {
      const way = chooseEgress(t.url, egress);
      if (way.kind === 'http')
        io.stderr.write(`sluice doctor: going to ${t.url.host} through the proxy ${way.proxy}\n`);
      if (way.kind === 'socks5')
        io.stderr.write(
          `sluice doctor: the proxy for ${t.url.host} is a SOCKS proxy (${way.proxy}), which the doctor cannot use: it connects directly\n`,
        );
    }
  }
  if (compare === undefined) {
    const diagnosis = await diagnose(target, timeoutMs, deps.capture, egress);
    io.stdout.write(
      json ? `${JSON.stringify(diagnosisJson(diagnosis), null, 2)}\n` : renderReport(diagnosis),
    );
    return diagnosis.verdict === 'ok' ? EXIT.ok : EXIT.failure;
  }
  const comparison = await diagnoseBoth(target, compare, timeoutMs, deps.capture, egress);
  io.stdout.write(
    json
      ? `${JSON.stringify(comparisonJson(comparison), null, 2)}\n`
      : renderComparison(comparison),
  );
  return comparison.verdict === 'ok' ? EXIT.ok : EXIT.failure;
}

function describe(target: DoctorTarget): string {
  if (target.mode === 'chat') return `${target.url.href} (model ${target.model})`;
  const p = target.probe;
  const silence = p.silenceMs > 0 ? ` after ${p.silenceMs} ms of silence` : '';
  return `${target.url.href} with ${p.events} probe events every ${p.intervalMs} ms${silence}`;
}

function parseDoctorArgs(args: readonly string[]): DoctorOptions {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      events: { type: 'string' },
      'interval-ms': { type: 'string' },
      pad: { type: 'string' },
      'silence-ms': { type: 'string' },
      key: { type: 'string' },
      model: { type: 'string' },
      compare: { type: 'string' },
      json: { type: 'boolean', default: false },
      timeout: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const url = parseUrl(onePositional(positionals, 'URL'), 'URL');
  const probeFlags = (['events', 'interval-ms', 'pad', 'silence-ms'] as const).filter(
    (f) => values[f] !== undefined,
  );
  let make: (url: URL) => DoctorTarget;
  let probe: ProbeShape | undefined;
  if (values.key !== undefined || values.model !== undefined) {
    const { key, model } = values;
    if (key === undefined || key === '')
      throw new UsageError('--model needs --key (the API key for the URL)');
    if (model === undefined || model === '')
      throw new UsageError('--key needs --model (the model to ask)');
    if (probeFlags.length > 0) {
      throw new UsageError(
        `--${probeFlags[0] ?? ''} sizes Sluice's probe; it does not apply with --key`,
      );
    }
    make = (u) => ({ mode: 'chat', url: u, key, model });
  } else {
    const shape: ProbeShape = {
      events: intFlag(values.events, 'events', PROBE_LIMITS.events, DEFAULT_PROBE.events),
      intervalMs: intFlag(
        values['interval-ms'],
        'interval-ms',
        PROBE_LIMITS.interval_ms,
        DEFAULT_PROBE.intervalMs,
      ),
      pad: intFlag(values.pad, 'pad', PROBE_LIMITS.pad, DEFAULT_PROBE.pad),
      silenceMs: intFlag(
        values['silence-ms'],
        'silence-ms',
        PROBE_LIMITS.silence_ms,
        DEFAULT_PROBE.silenceMs,
      ),
    };
    if (shape.events * shape.intervalMs > PROBE_LIMITS.pacedMs) {
      throw new UsageError(`--events × --interval-ms must not exceed ${PROBE_LIMITS.pacedMs} ms`);
    }
    probe = shape;
    make = (u) => ({ mode: 'probe', url: u, probe: shape });
  }
  let timeoutMs = defaultTimeoutMs(probe);
  if (values.timeout !== undefined) {
    const parsed = parseDuration(values.timeout);
    if (parsed === undefined || parsed <= 0) {
      throw new UsageError(
        `--timeout must be a duration such as 90s or 2m; got "${values.timeout}"`,
      );
    }
    timeoutMs = parsed;
  }
  return {
    target: make(url),
    compare: values.compare === undefined ? undefined : make(parseUrl(values.compare, '--compare')),
    json: values.json,
    timeoutMs,
  };
}

function parseUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${what} must be an http:// or https:// URL; got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${what} must be an http:// or https:// URL; got "${text}"`);
  }
  return url;
}

function intFlag(
  text: string | undefined,
  name: string,
  limits: { readonly min: number; readonly max: number },
  fallback: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw new UsageError(
      `--${name} must be an integer from ${limits.min} to ${limits.max}; got "${text}"`,
    );
  }
  return value;
}

/** Ours, or `node:util` parseArgs rejecting an unknown or malformed option (`ERR_PARSE_ARGS_*`). */
function isUsageError(error: unknown): error is Error {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
