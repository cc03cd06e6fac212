import { parseArgs } from 'node:util';
import { type EgressConfig, egressFromEnv, parseDuration } from '../config/index.ts';
import { ConfigError } from '../errors/index.ts';
import { printableLines } from '../log/index.ts';
import {
  apiName,
  type CaptureFn,
  capture,
  CHAT_APIS,
  type ChatApi,
  chainJson,
  comparisonJson,
  DEFAULT_PROBE,
  defaultTimeoutMs,
  diagnose,
  diagnoseBoth,
  diagnoseChain,
  diagnosisJson,
  type DoctorTarget,
  htmlChainReport,
  htmlComparisonReport,
  htmlReport,
  type ProbeShape,
  renderChain,
  renderComparison,
  renderReport,
  type Timeline,
} from '../doctor/index.ts';
import { PROBE_LIMITS } from '../probe/index.ts';
import { chooseEgress, withoutCredentials } from '../upstream/index.ts';
import { type Command, type CommandIO, EXIT, UsageError } from './command.ts';
import { onePositional } from './args.ts';
import { CHAIN_HELP, chainUrls } from './doctor-chain.ts';
import {
  type Transport,
  TRANSPORT_HELP,
  TRANSPORT_OPTIONS,
  transportFrom,
  transportNotes,
  withTransport,
} from './doctor-transport.ts';
import { htmlFileProblem, writeHtmlFile } from './html-file.ts';

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

Other servers, and the way behind a Sluice:
  --key KEY          API key for <url> (then the URL is an OpenAI-compatible base, e.g. …/v1);
                     through a Sluice gateway, Sluice also tells how its upstream's answer
                     reached it, so a hold between Sluice and the provider is found there (with
                     an admin key, the hop there is named)
  --model MODEL      model for the chat request
  --api API          the API to ask in: chat (Chat Completions, the default), messages
                     (Anthropic's Messages: x-api-key, as Claude Code and its relays speak) or
                     responses (OpenAI's Responses)

  --compare URL2     run the same test on URL2 too (e.g. Sluice directly vs through nginx) and
                     say where the difference appears
${CHAIN_HELP}
  --json             print the result as JSON
  --html FILE        also write the report to FILE as a self-contained web page to share: the
                     timeline chart, verdict, evidence and fix (no script, nothing to download)
  --timeout DURATION give up after this long, e.g. 90s (default: the probe's length + 30s; 120s
                     for a chat request)
  -h, --help         show this help

${TRANSPORT_HELP}
Like the gateway, the doctor goes out through HTTPS_PROXY / HTTP_PROXY (NO_PROXY respected),
and says so: a forward proxy is one more hop that may buffer, and a suspect when it names itself
nowhere. It cannot use a SOCKS ALL_PROXY and connects directly then.
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
  /** --chain: every point, outermost first (`target` is the first). */
  readonly chain: readonly DoctorTarget[] | undefined;
  readonly json: boolean;
  /** --html FILE: also write the report as a self-contained page. */
  readonly html: string | undefined;
  readonly timeoutMs: number;
  readonly transport: Transport;
}

async function runDoctor(
  options: DoctorOptions,
  egress: EgressConfig,
  io: CommandIO,
  deps: DoctorDependencies,
): Promise<number> {
  const { target, compare, json, timeoutMs, transport } = options;
  const captureFn = withTransport(deps.capture ?? capture, transport);
  const notes = (timelines: readonly Timeline[]): void => {
    if (json) return;
    for (const note of transportNotes(timelines, transport))
      io.stderr.write(`sluice doctor: ${note}\n`);
  };
  const htmlProblem = options.html === undefined ? undefined : await htmlFileProblem(options.html);
  if (htmlProblem !== undefined) {
    io.stderr.write(`sluice doctor: ${htmlProblem}\n`);
    return EXIT.usage;
  }
  const measuredAt = new Date();
  const targets = options.chain ?? (compare === undefined ? [target] : [target, compare]);
  if (!json) {
    io.stderr.write(`sluice doctor: testing ${targets.map(describe).join(' and ')}…\n`);
    // Per target, by the gateway's rules (NO_PROXY included), so what is said is what happens.
    for (const t of targets) {
      const way = chooseEgress(t.url, egress);
      if (way.kind === 'http')
        io.stderr.write(
          `sluice doctor: going to ${t.url.host} through the proxy ${withoutCredentials(way.proxy)}\n`,
        );
      if (way.kind === 'socks5')
        io.stderr.write(
          `sluice doctor: the proxy for ${t.url.host} is a SOCKS proxy (${withoutCredentials(way.proxy)}), which the doctor cannot use: it connects directly\n`,
        );
    }
  }
  if (options.chain !== undefined) {
    const chain = await diagnoseChain(options.chain, timeoutMs, captureFn, egress);
    notes(chain.runs.map((run) => run.timeline));
    // What hops answered (their Server, Via, bodies) is theirs: shown, never run by the terminal.
    io.stdout.write(
      printableLines(json ? `${JSON.stringify(chainJson(chain), null, 2)}\n` : renderChain(chain)),
    );
    const html = options.html;
    if (html !== undefined) {
      const page = htmlChainReport(chain, { generatedAt: measuredAt });
      if (!(await writeHtml(html, page, io))) return EXIT.failure;
    }
    return chain.verdict === 'ok' ? EXIT.ok : EXIT.failure;
  }
  if (compare === undefined) {
    const diagnosis = await diagnose(target, timeoutMs, captureFn, egress);
    notes([diagnosis.timeline]);
    io.stdout.write(
      printableLines(
        json ? `${JSON.stringify(diagnosisJson(diagnosis), null, 2)}\n` : renderReport(diagnosis),
      ),
    );
    const html = options.html;
    if (html !== undefined) {
      const written = await writeHtml(html, htmlReport(diagnosis, { generatedAt: measuredAt }), io);
      if (!written) return EXIT.failure;
    }
    return diagnosis.verdict === 'ok' ? EXIT.ok : EXIT.failure;
  }
  const comparison = await diagnoseBoth(target, compare, timeoutMs, captureFn, egress);
  notes(comparison.runs.map((run) => run.timeline));
  io.stdout.write(
    printableLines(
      json
        ? `${JSON.stringify(comparisonJson(comparison), null, 2)}\n`
        : renderComparison(comparison),
    ),
  );
  const html = options.html;
  if (html !== undefined) {
    const page = htmlComparisonReport(comparison, { generatedAt: measuredAt });
    if (!(await writeHtml(html, page, io))) return EXIT.failure;
  }
  return comparison.verdict === 'ok' ? EXIT.ok : EXIT.failure;
}

/**
 * Writes the --html report and says where. A write that fails after the measurement (disk full)
 * is said, and fails the run: a pipeline that asked for the file must not find it missing at 0.
 */
async function writeHtml(file: string, html: string, io: CommandIO): Promise<boolean> {
  try {
    await writeHtmlFile(file, html);
    io.stderr.write(`sluice doctor: report written to ${file}\n`);
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    io.stderr.write(`sluice doctor: could not write the report to ${file}: ${reason}\n`);
    return false;
  }
}

function apiFlag(value: string | undefined): ChatApi {
  if (value === undefined) return 'chat';
  const api = CHAT_APIS.find((a) => a === value);
  if (api === undefined) {
    throw new UsageError(`--api must be one of ${CHAT_APIS.join(', ')}; got "${value}"`);
  }
  return api;
}

function describe(target: DoctorTarget): string {
  if (target.mode === 'chat') {
    const api = target.api === undefined ? '' : `, ${apiName(target.api)}`;
    return `${target.url.href} (model ${target.model}${api})`;
  }
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
      api: { type: 'string' },
      compare: { type: 'string' },
      chain: { type: 'string' },
      json: { type: 'boolean', default: false },
      html: { type: 'string' },
      timeout: { type: 'string' },
      ...TRANSPORT_OPTIONS,
    },
    allowPositionals: true,
    strict: true,
  });
  // With --chain the URLs may all be in its list.
  const url =
    values.chain !== undefined && positionals.length === 0
      ? undefined
      : parseUrl(onePositional(positionals, 'URL'), 'URL');
  const probeFlags = (['events', 'interval-ms', 'pad', 'silence-ms'] as const).filter(
    (f) => values[f] !== undefined,
  );
  let make: (url: URL) => DoctorTarget;
  let probe: ProbeShape | undefined;
  if (values.key !== undefined || values.model !== undefined || values.api !== undefined) {
    const { key, model } = values;
    const api = apiFlag(values.api);
    if (key === undefined || key === '') {
      const flag = values.model === undefined ? '--api' : '--model';
      throw new UsageError(`${flag} needs --key (the API key for the URL)`);
    }
    if (model === undefined || model === '')
      throw new UsageError('--key needs --model (the model to ask)');
    if (probeFlags.length > 0) {
      throw new UsageError(
        `--${probeFlags[0] ?? ''} sizes Sluice's probe; it does not apply with --key`,
      );
    }
    make = (u) => ({ mode: 'chat', url: u, key, model, ...(api === 'chat' ? {} : { api }) });
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
  if (values.chain !== undefined && values.compare !== undefined) {
    throw new UsageError('--chain and --compare both name what to measure: give one of them');
  }
  const chain =
    values.chain === undefined ? undefined : chainUrls(values.chain, url, parseUrl).map(make);
  const target = chain?.[0] ?? (url === undefined ? undefined : make(url));
  if (target === undefined) throw new UsageError('URL is missing');
  return {
    target,
    compare: values.compare === undefined ? undefined : make(parseUrl(values.compare, '--compare')),
    chain,
    json: values.json,
    html: values.html,
    timeoutMs,
    transport: transportFrom(values),
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
  // Digits only, as the probe reads its parameters (`Number` also takes 0x10 and 1e2).
  const value = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < limits.min || value > limits.max) {
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
