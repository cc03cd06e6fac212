/**
 * Configuration is read once, at start-up, from defaults < config file < environment < flags,
 * validated as a whole, and frozen into a `Config`. Every problem names the variable to change
 * and the form it expects; all of them are reported together.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError } from '../errors/index.ts';
import { LOG_LEVELS, type LogLevel } from '../log/index.ts';
import {
  convert,
  type FileValue,
  kebab,
  lookup,
  nonEmpty,
  readConfigFile,
  readText,
  stringOr,
} from './read.ts';
import { environmentProblems } from './environment.ts';
import { type ConfigFile, fileProblems } from './schema.ts';
import { logFormat, metricsConfig, tracesConfig } from './telemetry.ts';
import { mergeUpstreams, upstreamsFromEnv, upstreamsFromFile } from './upstreams.ts';
import {
  corsOrigins,
  databaseUrl,
  type Env,
  limits,
  prices,
  proxyVar,
  redisUrl,
  trustedProxies,
} from './values.ts';
import type { Config, EgressConfig } from './types.ts';
import { asDuration, parseDuration, parseSize } from './units.ts';
import { workers } from './workers.ts';

/** Options given on the command line; they win over everything else. */
export interface ConfigFlags {
  host?: string;
  port?: string;
  config?: string;
  dataDir?: string;
  logLevel?: string;
  keepalive?: string;
  workers?: string;
}

export interface ConfigSources {
  env: Readonly<Record<string, string | undefined>>;
  flags?: ConfigFlags;
  readFile?: (path: string) => string;
  /** Cores this process may use, for `SLUICE_WORKERS=auto`; `os.availableParallelism()` by default. */
  cores?: number;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  keepaliveMs: 15_000,
  connectMs: 10_000,
  firstByteMs: 600_000,
  idleMs: 300_000,
  totalMs: 3_600_000,
  maxBodyBytes: 32 * 1024 ** 2,
  bodyTimeoutMs: 60_000,
  maxBodyInflightBytes: 256 * 1024 ** 2,
  drainMs: 30_000,
  dataDir: './data',
  logLevel: 'info' as LogLevel,
  breakerFailures: 3,
  breakerCooldownMs: 30_000,
};

export function loadConfig({
  env,
  flags = {},
  readFile = readText,
  cores = availableParallelism(),
}: ConfigSources): Config {
  const problems: string[] = environmentProblems(env);
  const configPath = flags.config ?? env.SLUICE_CONFIG;
  const read = configPath === undefined ? {} : readConfigFile(configPath, readFile, problems);
  const shape = configPath === undefined ? [] : fileProblems(read, configPath);
  problems.push(...shape);
  // A file of the wrong shape is not read further: its problems are reported, not compounded.
  const file: ConfigFile = shape.length === 0 ? read : {};

  /** flags > env > file > default, with the name of whichever source won for messages. */
  const pick = (
    flag: string | undefined,
    envName: string,
    fileKey: string,
  ): { value: FileValue; source: string } | undefined => {
    if (flag !== undefined) return { value: flag, source: `--${kebab(fileKey)}` };
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: envName };
    const fromFile = lookup(file, fileKey);
    if (fromFile !== undefined)
      return { value: fromFile, source: `${fileKey} in ${configPath ?? ''}` };
    return undefined;
  };

  const duration = (flag: string | undefined, envName: string, key: string, fallback: number) =>
    convert(
      pick(flag, envName, key),
      fallback,
      problems,
      'a duration such as 15s, 500ms, 10m or 1h',
      (v) => (typeof v === 'number' ? asDuration(v) : parseDuration(String(v))),
    );

  const port = convert(
    pick(flags.port, 'PORT', 'port'),
    DEFAULTS.port,
    problems,
    'a TCP port 0-65535',
    (v) => {
      const n = Number(v);
      return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
    },
  );
  const host = convert(
    pick(flags.host, 'HOST', 'host'),
    DEFAULTS.host,
    problems,
    'a host name or address',
    (v) => (typeof v === 'string' && v !== '' ? v : undefined),
  );
  const logLevel = convert(
    pick(flags.logLevel, 'SLUICE_LOG_LEVEL', 'logLevel'),
    DEFAULTS.logLevel,
    problems,
    `one of ${LOG_LEVELS.join(', ')}`,
    (v) => ((LOG_LEVELS as readonly unknown[]).includes(v) ? (v as LogLevel) : undefined),
  );
  const keepaliveMs = duration(
    flags.keepalive,
    'SLUICE_KEEPALIVE',
    'keepalive',
    DEFAULTS.keepaliveMs,
  );
  if (keepaliveMs <= 0)
    problems.push(
      'SLUICE_KEEPALIVE must be greater than 0 (keepalive comments cannot be switched off).',
    );
  const size = (envName: string, key: string, fallback: number) =>
    convert(
      pick(undefined, envName, key),
      fallback,
      problems,
      'a size such as 32mb or 512kb',
      (v) => (typeof v === 'number' ? v : parseSize(String(v))),
    );
  const maxBodyBytes = size('SLUICE_MAX_BODY', 'maxBody', DEFAULTS.maxBodyBytes);
  const bodyTimeoutMs = duration(
    undefined,
    'SLUICE_BODY_TIMEOUT',
    'bodyTimeout',
    DEFAULTS.bodyTimeoutMs,
  );
  if (bodyTimeoutMs <= 0)
    problems.push(
      'SLUICE_BODY_TIMEOUT must be greater than 0 (a body that never arrives would hold its connection for good).',
    );
  const maxBodyInflightBytes = size(
    'SLUICE_MAX_BODY_INFLIGHT',
    'maxBodyInflight',
    DEFAULTS.maxBodyInflightBytes,
  );
  if (maxBodyInflightBytes < maxBodyBytes)
    problems.push(
      `SLUICE_MAX_BODY_INFLIGHT (${maxBodyInflightBytes} bytes) must be at least SLUICE_MAX_BODY (${maxBodyBytes} bytes), ` +
        'or a body of the largest size allowed could never be read; raise it, or lower SLUICE_MAX_BODY.',
    );

  const config: Config = {
    host,
    port,
    adminKey: adminKey(
      nonEmpty(env.SLUICE_ADMIN_KEY) ?? stringOr(lookup(file, 'adminKey')),
      env.SLUICE_ADMIN_KEY === undefined || env.SLUICE_ADMIN_KEY === ''
        ? `adminKey in ${configPath ?? ''}`
        : 'SLUICE_ADMIN_KEY',
      problems,
    ),
    upstreams: mergeUpstreams(
      upstreamsFromFile(file.upstreams, env, problems),
      upstreamsFromEnv(env, problems),
      env,
      problems,
    ),
    egress: egressFromEnv(env, problems),
    timeouts: {
      connectMs: duration(
        undefined,
        'SLUICE_CONNECT_TIMEOUT',
        'timeouts.connect',
        DEFAULTS.connectMs,
      ),
      firstByteMs: duration(
        undefined,
        'SLUICE_FIRST_BYTE_TIMEOUT',
        'timeouts.firstByte',
        DEFAULTS.firstByteMs,
      ),
      idleMs: duration(undefined, 'SLUICE_IDLE_TIMEOUT', 'timeouts.idle', DEFAULTS.idleMs),
      totalMs: duration(undefined, 'SLUICE_TOTAL_TIMEOUT', 'timeouts.total', DEFAULTS.totalMs),
    },
    workers: workers(pick(flags.workers, 'SLUICE_WORKERS', 'workers'), cores, problems),
    keepaliveMs,
    maxBodyBytes,
    bodyTimeoutMs,
    maxBodyInflightBytes,
    drainMs: duration(undefined, 'SLUICE_DRAIN_TIMEOUT', 'drain', DEFAULTS.drainMs),
    dataDir: resolve(
      convert(
        pick(flags.dataDir, 'SLUICE_DATA_DIR', 'dataDir'),
        DEFAULTS.dataDir,
        problems,
        'a directory path',
        (v) => (typeof v === 'string' && v !== '' ? v : undefined),
      ),
    ),
    databaseUrl: databaseUrl(env.DATABASE_URL, problems),
    redisUrl: redisUrl(env.REDIS_URL, problems),
    redisPrefix:
      nonEmpty(env.SLUICE_REDIS_PREFIX) ?? stringOr(lookup(file, 'redisPrefix')) ?? 'sluice:',
    trustedProxies: trustedProxies(
      env.SLUICE_TRUSTED_PROXIES ?? lookup(file, 'trustedProxies'),
      problems,
    ),
    corsOrigins: corsOrigins(env.SLUICE_CORS_ORIGINS ?? lookup(file, 'corsOrigins'), problems),
    prices: prices(lookup(file, 'prices'), problems),
    defaultLimits: {
      key: limits(lookup(file, 'defaultLimits.key'), 'defaultLimits.key', problems),
      user: limits(lookup(file, 'defaultLimits.user'), 'defaultLimits.user', problems),
    },
    logLevel,
    logFormat: (() => {
      const picked = pick(undefined, 'SLUICE_LOG_FORMAT', 'logFormat');
      return logFormat(picked?.value, picked?.source ?? '', problems);
    })(),
    metrics: metricsConfig(env, file, problems),
    traces: tracesConfig(env, problems),
    breaker: {
      failures: file.breaker?.failures ?? DEFAULTS.breakerFailures,
      cooldownMs: duration(
        undefined,
        'SLUICE_BREAKER_COOLDOWN',
        'breaker.cooldown',
        DEFAULTS.breakerCooldownMs,
      ),
    },
  };
  for (const [name, ms] of Object.entries(config.timeouts)) {
    if (ms <= 0) problems.push(`The ${name.replace(/Ms$/, '')} timeout must be greater than 0.`);
  }
  const names = new Set<string>();
  for (const u of config.upstreams) {
    if (names.has(u.name))
      problems.push(`Two upstreams are named "${u.name}"; give each a unique name.`);
    names.add(u.name);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** HTTP(S)_PROXY, ALL_PROXY and NO_PROXY as curl reads them (lower case wins); also the doctor's. */
export function egressFromEnv(env: Env, problems: string[]): EgressConfig {
  return {
    httpProxy: proxyVar(env, 'http_proxy', problems, ['http:', 'https:']),
    httpsProxy: proxyVar(env, 'https_proxy', problems, ['http:', 'https:']),
    allProxy: proxyVar(env, 'all_proxy', problems, [
      'http:',
      'https:',
      'socks5:',
      'socks5h:',
      'socks:',
    ]),
    noProxy: env.no_proxy ?? env.NO_PROXY ?? '',
  };
}

/** The admin key opens every route: one short enough to guess is refused, not warned about. */
const ADMIN_KEY_MIN = 32;

function adminKey(key: string | undefined, source: string, problems: string[]): string | undefined {
  if (key !== undefined && key.length < ADMIN_KEY_MIN) {
    problems.push(
      `${source} is ${key.length} characters long; an admin key must have at least ${ADMIN_KEY_MIN}. ` +
        'Make one with `openssl rand -base64 32` (or `node -e "console.log(crypto.randomBytes(32).toString(\'base64url\'))"`).',
    );
  }
  return key;
}
