/**
 * Configuration is read once, at start-up, from defaults < config file < environment < flags,
 * validated as a whole, and frozen into a `Config`. Every problem names the variable to change
 * and the form it expects; all of them are reported together.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isIP } from 'node:net';
import { LOG_LEVELS, type LogLevel } from '../log/index.ts';
import { DEFAULT_PRICES, type Price, type PriceTable } from '../metering/prices.ts';
import { parseDatabaseUrl } from '../store/database-url.ts';
import { type BudgetPeriod, type Limits, NO_LIMITS } from '../store/types.ts';
import type { ApiFamily, Config, UpstreamConfig } from './types.ts';
import { parseDuration, parseSize } from './units.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Options given on the command line; they win over everything else. */
export interface ConfigFlags {
  host?: string;
  port?: string;
  config?: string;
  dataDir?: string;
  logLevel?: string;
  keepalive?: string;
}

export interface ConfigSources {
  env: Readonly<Record<string, string | undefined>>;
  flags?: ConfigFlags;
  readFile?: (path: string) => string;
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
  drainMs: 30_000,
  dataDir: './data',
  logLevel: 'info' as LogLevel,
};

type FileValue = unknown;

export function loadConfig({ env, flags = {}, readFile = readText }: ConfigSources): Config {
  const problems: string[] = [];
  const configPath = flags.config ?? env.SLUICE_CONFIG;
  const file = configPath === undefined ? {} : readConfigFile(configPath, readFile, problems);

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
      (v) => (typeof v === 'number' ? v : parseDuration(String(v))),
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
  const maxBodyBytes = convert(
    pick(undefined, 'SLUICE_MAX_BODY', 'maxBody'),
    DEFAULTS.maxBodyBytes,
    problems,
    'a size such as 32mb or 512kb',
    (v) => (typeof v === 'number' ? v : parseSize(String(v))),
  );

  const config: Config = {
    host,
    port,
    adminKey: nonEmpty(env.SLUICE_ADMIN_KEY) ?? stringOr(lookup(file, 'adminKey')),
    upstreams: mergeUpstreams(
      upstreamsFromFile(lookup(file, 'upstreams'), env, problems),
      upstreamsFromEnv(env, problems),
    ),
    egress: {
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
    },
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
    keepaliveMs,
    maxBodyBytes,
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
    prices: prices(lookup(file, 'prices'), problems),
    defaultLimits: {
      key: limits(lookup(file, 'defaultLimits.key'), 'defaultLimits.key', problems),
      user: limits(lookup(file, 'defaultLimits.user'), 'defaultLimits.user', problems),
    },
    logLevel,
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

function databaseUrl(text: string | undefined, problems: string[]): string | undefined {
  const value = nonEmpty(text);
  if (value === undefined) return undefined;
  try {
    parseDatabaseUrl(value);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return value;
}

function redisUrl(text: string | undefined, problems: string[]): string | undefined {
  const value = nonEmpty(text);
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'redis:' || url.protocol === 'rediss:') return value;
  } catch {
    // reported below
  }
  problems.push(
    `REDIS_URL must be redis://host:6379 (or rediss:// for TLS); got "${value.replace(/:[^:@/]*@/, ':***@')}".`,
  );
  return undefined;
}

function trustedProxies(value: unknown, problems: string[]): string[] {
  if (value === undefined) return [];
  const entries: unknown[] = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value.split(',')
      : [value];
  const result: string[] = [];
  for (const raw of entries) {
    const entry = typeof raw === 'string' ? raw.trim() : JSON.stringify(raw);
    if (entry === '') continue;
    const [address = '', bits] = entry.split('/');
    const max = isIP(address) === 6 ? 128 : 32;
    if (
      isIP(address) === 0 ||
      (bits !== undefined &&
        !(Number.isInteger(Number(bits)) && Number(bits) >= 0 && Number(bits) <= max))
    ) {
      problems.push(
        `SLUICE_TRUSTED_PROXIES takes IP addresses or CIDR ranges, e.g. 127.0.0.1,10.0.0.0/8; "${entry}" is neither.`,
      );
      continue;
    }
    result.push(entry);
  }
  return result;
}

/** The file's prices first (they win), then the built-in table. */
function prices(value: unknown, problems: string[]): PriceTable {
  if (value === undefined) return DEFAULT_PRICES;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(
      '"prices" in the config file must map model patterns to {"input": USD, "output": USD} per million tokens.',
    );
    return DEFAULT_PRICES;
  }
  const own: Record<string, Price> = {};
  for (const [pattern, raw] of Object.entries(value)) {
    const price = raw as Record<string, unknown> | null;
    const valid = (v: unknown) => typeof v === 'number' && v >= 0;
    if (
      price === null ||
      !valid(price.input) ||
      !valid(price.output) ||
      !(price.cachedInput === undefined || valid(price.cachedInput))
    ) {
      problems.push(
        `prices["${pattern}"] must be {"input": n, "output": n, "cachedInput"?: n} in USD per million tokens.`,
      );
      continue;
    }
    own[pattern] = {
      input: price.input as number,
      output: price.output as number,
      ...(price.cachedInput === undefined ? {} : { cachedInput: price.cachedInput as number }),
    };
  }
  return { ...own, ...DEFAULT_PRICES, ...own };
}

const PERIODS: readonly BudgetPeriod[] = ['day', 'month', 'total'];

function limits(value: unknown, where: string, problems: string[]): Limits {
  if (value === undefined) return NO_LIMITS;
  if (typeof value !== 'object' || value === null) {
    problems.push(`${where} must be an object such as {"rpm": 60, "maxStreams": 4}.`);
    return NO_LIMITS;
  }
  const raw = value as Record<string, unknown>;
  const number = (name: string): number | null => {
    const v = raw[name];
    if (v === undefined || v === null) return null;
    if (typeof v === 'number' && v > 0) return v;
    problems.push(`${where}.${name} must be a positive number.`);
    return null;
  };
  const period = raw.budgetPeriod ?? 'month';
  if (!PERIODS.includes(period as BudgetPeriod))
    problems.push(`${where}.budgetPeriod must be day, month or total.`);
  return {
    rpm: number('rpm'),
    tpm: number('tpm'),
    maxStreams: number('maxStreams'),
    budgetTokens: number('budgetTokens'),
    budgetCost: number('budgetCost'),
    budgetPeriod: PERIODS.includes(period as BudgetPeriod) ? (period as BudgetPeriod) : 'month',
  };
}

/**
 * The file's upstreams, then those from the environment for API families the file does not
 * cover: a file that lists its own OpenAI upstreams (perhaps keyed by OPENAI_API_KEY through
 * apiKeyEnv) is not second-guessed by the same variables.
 */
function mergeUpstreams(fromFile: UpstreamConfig[], fromEnv: UpstreamConfig[]): UpstreamConfig[] {
  return [...fromFile, ...fromEnv.filter((u) => !fromFile.some((f) => f.family === u.family))];
}

function upstreamsFromEnv(env: ConfigSources['env'], problems: string[]): UpstreamConfig[] {
  const result: UpstreamConfig[] = [];
  const openaiKey = nonEmpty(env.OPENAI_API_KEY);
  const base = nonEmpty(env.OPENAI_BASE_URL)
    ? apiRoot(env.OPENAI_BASE_URL ?? '', 'OPENAI_BASE_URL', problems, false)
    : nonEmpty(env.BASE_URL)
      ? apiRoot(env.BASE_URL ?? '', 'BASE_URL', problems, true)
      : undefined;
  if (openaiKey !== undefined || base !== undefined) {
    result.push(
      upstream('openai', 'openai', base ?? new URL('https://api.openai.com/v1'), openaiKey),
    );
  }
  const anthropicKey = nonEmpty(env.ANTHROPIC_API_KEY);
  const anthropicBase = nonEmpty(env.ANTHROPIC_BASE_URL)
    ? apiRoot(env.ANTHROPIC_BASE_URL ?? '', 'ANTHROPIC_BASE_URL', problems, true)
    : undefined;
  if (anthropicKey !== undefined || anthropicBase !== undefined) {
    result.push(
      upstream(
        'anthropic',
        'anthropic',
        anthropicBase ?? new URL('https://api.anthropic.com/v1'),
        anthropicKey,
      ),
    );
  }
  return result;
}

function upstreamsFromFile(
  value: FileValue,
  env: ConfigSources['env'],
  problems: string[],
): UpstreamConfig[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push('"upstreams" in the config file must be an array of {name, baseUrl, …} objects.');
    return [];
  }
  const result: UpstreamConfig[] = [];
  value.forEach((raw: unknown, i) => {
    const where = `upstreams[${i}]`;
    if (typeof raw !== 'object' || raw === null) {
      problems.push(`${where} must be an object.`);
      return;
    }
    const entry = raw as Record<string, unknown>;
    const family = entry.family ?? 'openai';
    if (family !== 'openai' && family !== 'anthropic') {
      problems.push(`${where}.family must be "openai" or "anthropic".`);
      return;
    }
    if (typeof entry.baseUrl !== 'string') {
      problems.push(
        `${where}.baseUrl is required: the upstream's API root, e.g. https://api.openai.com/v1.`,
      );
      return;
    }
    const base = apiRoot(entry.baseUrl, `${where}.baseUrl`, problems, true);
    if (base === undefined) return;
    let apiKey = stringOr(entry.apiKey);
    if (typeof entry.apiKeyEnv === 'string') {
      apiKey = nonEmpty(env[entry.apiKeyEnv]);
      if (apiKey === undefined)
        problems.push(`${where}.apiKeyEnv names ${entry.apiKeyEnv}, which is not set.`);
    }
    const models = entry.models;
    if (
      models !== undefined &&
      !(Array.isArray(models) && models.every((m) => typeof m === 'string'))
    ) {
      problems.push(`${where}.models must be an array of model names or patterns like "gpt-*".`);
      return;
    }
    const headers: unknown = entry.headers ?? {};
    if (
      typeof headers !== 'object' ||
      headers === null ||
      Object.values(headers).some((h) => typeof h !== 'string')
    ) {
      problems.push(`${where}.headers must be an object of string header values.`);
      return;
    }
    result.push({
      ...upstream(
        typeof entry.name === 'string' ? entry.name : `upstream-${i}`,
        family,
        base,
        apiKey,
      ),
      models,
      headers: headers as Record<string, string>,
    });
  });
  return result;
}

function upstream(
  name: string,
  family: ApiFamily,
  baseUrl: URL,
  apiKey: string | undefined,
): UpstreamConfig {
  return { name, family, baseUrl, apiKey, models: undefined, headers: {} };
}

/**
 * The API root of an upstream. `BASE_URL` follows the relay convention: an origin alone means
 * `/v1` on that origin; with a path, the path is used as given (`OPENAI_BASE_URL` always is).
 */
function apiRoot(
  text: string,
  name: string,
  problems: string[],
  assumeV1: boolean,
): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push(`${name} must be an http(s) URL such as https://api.openai.com, got "${text}".`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`${name} must use http:// or https://, got "${url.protocol}".`);
    return undefined;
  }
  if (url.search !== '' || url.hash !== '') {
    problems.push(`${name} must not carry a query or fragment: "${text}".`);
    return undefined;
  }
  if (assumeV1 && (url.pathname === '/' || url.pathname === '')) url.pathname = '/v1';
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

/** `http_proxy` and friends: the lower-case spelling wins, as in curl. */
function proxyVar(
  env: ConfigSources['env'],
  lower: string,
  problems: string[],
  protocols: readonly string[],
): string | undefined {
  const upper = lower.toUpperCase();
  const name = nonEmpty(env[lower]) !== undefined ? lower : upper;
  const value = nonEmpty(env[name]);
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (!protocols.includes(url.protocol)) {
      problems.push(
        `${name} must use one of ${protocols.map((p) => `${p}//`).join(', ')}; got "${url.protocol}//".`,
      );
      return undefined;
    }
  } catch {
    problems.push(`${name} must be a proxy URL such as http://proxy.example:3128, got "${value}".`);
    return undefined;
  }
  return value;
}

function readConfigFile(
  path: string,
  readFile: (p: string) => string,
  problems: string[],
): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    problems.push(
      `SLUICE_CONFIG / --config names ${path}, which cannot be read (${(error as Error).message}).`,
    );
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
    problems.push(`The config file ${path} must hold one JSON object.`);
  } catch (error) {
    problems.push(`The config file ${path} is not valid JSON: ${(error as Error).message}.`);
  }
  return {};
}

function convert<T>(
  picked: { value: FileValue; source: string } | undefined,
  fallback: T,
  problems: string[],
  expected: string,
  parse: (value: FileValue) => T | undefined,
): T {
  if (picked === undefined) return fallback;
  const parsed = parse(picked.value);
  if (parsed === undefined) {
    problems.push(`${picked.source} must be ${expected}; got ${JSON.stringify(picked.value)}.`);
    return fallback;
  }
  return parsed;
}

function lookup(obj: Record<string, unknown>, dotted: string): FileValue {
  let current: unknown = obj;
  for (const part of dotted.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
