/**
 * `sluice nginx`: prints an nginx config that streams, or (`--lint`) reads one and says what in
 * it holds streams back. The config text and the findings come from src/deploy; this file only
 * reads flags and files and picks the exit code.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/index.ts';
import {
  AddressError,
  countBySeverity,
  diskSource,
  formatLintJson,
  formatLintText,
  lintNginx,
  type NginxSiteOptions,
  NginxSyntaxError,
  parseAddress,
  renderNginxConf,
  renderNginxSite,
  textSource,
} from '../deploy/index.ts';
import { type Command, type CommandIO, EXIT, UsageError } from './command.ts';

const HELP = `Usage: sluice nginx [--listen [HOST:]PORT] [--upstream HOST:PORT …] [options]
       sluice nginx --lint FILE|- [--json] [--keepalive DURATION]

Prints an nginx config for Sluice that streams: an "upstream sluice { … }" and a "server { … }"
block to include inside http { }, or with --full a complete nginx.conf. Each directive carries a
comment saying why it is there.

Generate:
  --listen [HOST:]PORT   where nginx listens (default 80, or 443 with TLS)
  --upstream HOST:PORT   a Sluice instance; repeat for several (default 127.0.0.1:8080)
  --server-name NAME     server_name, e.g. chat.example.com
  --tls-cert FILE        certificate (with --tls-key): HTTPS with HTTP/2, and a plain-HTTP
  --tls-key FILE         server that redirects to it
  --http-listen [HOST:]PORT  where that redirecting server listens (default 80)
  --full                 a complete nginx.conf (events, http, types) instead of blocks to include

Lint:
  --lint FILE            report what in FILE holds streams back, with file and line; follows
                         includes (globs too). "-" reads stdin, e.g. \`nginx -T | sluice nginx --lint -\`
  --json                 findings as JSON
  --keepalive DURATION   Sluice's keepalive interval, to judge timeouts by (default 15s)

Every location with proxy_pass is assumed to lead to Sluice. Exit codes: 0 nothing breaks
streaming (warnings and notes may be printed), 1 something does, 2 usage error or a file that
cannot be read or parsed.
`;

export const nginx: Command = {
  name: 'nginx',
  help: HELP,
  async run(args, io) {
    try {
      return await run(args, io);
    } catch (error) {
      if (!isUsage(error)) throw error;
      io.stderr.write(`sluice nginx: ${error.message}\nRun "sluice nginx --help" for usage.\n`);
      return EXIT.usage;
    }
  },
};

async function run(args: readonly string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      listen: { type: 'string' },
      upstream: { type: 'string', multiple: true },
      'server-name': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'http-listen': { type: 'string' },
      full: { type: 'boolean' },
      lint: { type: 'string' },
      json: { type: 'boolean' },
      keepalive: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) {
    io.stdout.write(HELP);
    return EXIT.ok;
  }
  if (values.lint !== undefined) {
    const generatorFlags = [
      'listen',
      'upstream',
      'server-name',
      'tls-cert',
      'tls-key',
      'http-listen',
      'full',
    ] as const;
    const mixed = generatorFlags.filter((flag) => values[flag] !== undefined);
    if (mixed.length > 0)
      throw new UsageError(`--lint does not combine with --${mixed.join(', --')}`);
    return lint(values.lint, values.json === true, values.keepalive, io);
  }
  if (values.json === true || values.keepalive !== undefined) {
    throw new UsageError('--json and --keepalive go with --lint');
  }
  const options = siteOptions(values, args);
  io.stdout.write(values.full === true ? renderNginxConf(options) : renderNginxSite(options));
  io.stderr.write(
    "sluice nginx: set SLUICE_TRUSTED_PROXIES on Sluice to this nginx's address, or Sluice records nginx as every client.\n",
  );
  return EXIT.ok;
}

interface GeneratorFlags {
  readonly listen?: string | undefined;
  readonly upstream?: string[] | undefined;
  readonly 'server-name'?: string | undefined;
  readonly 'tls-cert'?: string | undefined;
  readonly 'tls-key'?: string | undefined;
  readonly 'http-listen'?: string | undefined;
}

function siteOptions(values: GeneratorFlags, args: readonly string[]): NginxSiteOptions {
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  if (cert === undefined && values['http-listen'] !== undefined) {
    throw new UsageError(
      '--http-listen is the redirect to HTTPS: it needs --tls-cert and --tls-key',
    );
  }
  const tls = cert !== undefined && key !== undefined;
  const upstreams = (values.upstream ?? ['127.0.0.1:8080']).map((u) =>
    parseAddress(u, '--upstream', true),
  );
  const serverName = values['server-name'];
  if (serverName !== undefined && !/^[^\s;{}"'#]+(?: [^\s;{}"'#]+)*$/.test(serverName)) {
    throw new UsageError(`--server-name takes host names separated by spaces; got "${serverName}"`);
  }
  return {
    listen: parseAddress(values.listen ?? (tls ? '443' : '80'), '--listen'),
    upstreams,
    command: ['sluice nginx', ...args.map(quote)].join(' '),
    ...(serverName === undefined ? {} : { serverName }),
    ...(tls
      ? {
          tls: {
            cert,
            key,
            httpListen: parseAddress(values['http-listen'] ?? '80', '--http-listen'),
          },
        }
      : {}),
  };
}

async function lint(
  file: string,
  json: boolean,
  keepalive: string | undefined,
  io: CommandIO,
): Promise<number> {
  const keepaliveMs = keepalive === undefined ? 15_000 : parseDuration(keepalive);
  if (keepaliveMs === undefined || keepaliveMs <= 0) {
    throw new UsageError(
      `--keepalive takes a duration such as 15s or 500ms; got "${keepalive ?? ''}"`,
    );
  }
  let source;
  if (file === '-') {
    if (io.stdin === undefined) throw new UsageError('no standard input to read "-" from');
    source = textSource(await io.stdin(), '<stdin>');
  } else {
    try {
      source = textSourceOrDisk(file);
    } catch (error) {
      io.stderr.write(`sluice nginx: cannot read ${file}: ${(error as Error).message}\n`);
      return EXIT.usage;
    }
  }
  let result;
  try {
    result = lintNginx(source, { keepaliveMs });
  } catch (error) {
    if (!(error instanceof NginxSyntaxError)) throw error;
    io.stderr.write(`${error.file}:${error.line}: syntax error: ${error.reason}\n`);
    return EXIT.usage;
  }
  io.stdout.write(json ? formatLintJson(result) : formatLintText(result));
  return countBySeverity(result.findings).error > 0 ? EXIT.failure : EXIT.ok;
}

/** A saved `nginx -T` dump is linted from its embedded files; anything else from the disk. */
function textSourceOrDisk(file: string) {
  const text = readFileSync(file, 'utf8');
  const dump = textSource(text, file);
  return dump.includesUnavailable === undefined ? dump : diskSource(file);
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

function isUsage(error: unknown): error is Error {
  if (error instanceof UsageError || error instanceof AddressError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
