/** Parsers of single configuration values; each reports problems naming what to change. */
import { isIP } from 'node:net';
import { DEFAULT_PRICES, type Price, type PriceTable, type TierRates } from './prices.ts';
import { parseDatabaseUrl } from '../store/database-url.ts';
import { type BudgetPeriod, type Limits, NO_LIMITS } from '../store/types.ts';
import { nonEmpty } from './read.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export function databaseUrl(text: string | undefined, problems: string[]): string | undefined {
  const value = nonEmpty(text);
  if (value === undefined) return undefined;
  try {
    parseDatabaseUrl(value);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return value;
}

export function redisUrl(text: string | undefined, problems: string[]): string | undefined {
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

/** A comma-separated variable's or a file's list's entries, trimmed, the empty ones left out. */
function listEntries(value: unknown): string[] {
  const entries: unknown[] = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value.split(',')
      : [value];
  return entries
    .map((raw) => (typeof raw === 'string' ? raw.trim() : JSON.stringify(raw)))
    .filter((entry) => entry !== '');
}

export function trustedProxies(value: unknown, problems: string[]): string[] {
  if (value === undefined) return [];
  const result: string[] = [];
  for (const entry of listEntries(value)) {
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

/**
 * `SLUICE_CORS_ORIGINS` / `corsOrigins`: which web origins may call `/v1` from a browser. `*`
 * (the default: any — `/v1` takes only keys, never cookies, so a page without a key gets
 * nothing), `none`, or origins (`https://chat.example.com`, comma-separated or a list).
 */
export function corsOrigins(value: unknown, problems: string[]): '*' | string[] {
  if (value === undefined || value === '*') return '*';
  if (value === 'none') return [];
  const result: string[] = [];
  for (const entry of listEntries(value)) {
    const origin = originOf(entry);
    if (origin === undefined) {
      problems.push(
        `SLUICE_CORS_ORIGINS takes "*", "none" or origins such as https://chat.example.com (scheme, host and port, no path); "${entry}" is not one.`,
      );
      continue;
    }
    result.push(origin);
  }
  return result;
}

/** `https://Chat.Example.com:443` → `https://chat.example.com`, as a browser sends it. */
function originOf(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const bare =
    url.username === '' &&
    url.password === '' &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '' &&
    !text.endsWith('?') &&
    !text.endsWith('#');
  return bare && (url.protocol === 'http:' || url.protocol === 'https:') ? url.origin : undefined;
}

/** The file's prices first (they win), then the built-in table. */
export function prices(value: unknown, problems: string[]): PriceTable {
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
    const optional = [
      'cachedInput',
      'audioInput',
      'audioOutput',
      'audioMinute',
      'characters',
      'imageInput',
      'searches',
    ] as const;
    const perImage = price?.perImage;
    const validPerImage =
      perImage === undefined ||
      isRate(perImage) ||
      (typeof perImage === 'object' &&
        perImage !== null &&
        !Array.isArray(perImage) &&
        Object.keys(perImage).length > 0 &&
        Object.values(perImage).every(isRate));
    const { priority, longContext } = price ?? {};
    if (
      price === null ||
      !isRate(price.input) ||
      !isRate(price.output) ||
      !optional.every((field) => price[field] === undefined || isRate(price[field])) ||
      !validPerImage ||
      !(priority === undefined || areRates(priority, false)) ||
      !(longContext === undefined || areRates(longContext, true))
    ) {
      problems.push(
        `prices["${pattern}"] must be {"input": n, "output": n, "cachedInput"?: n} in USD per million tokens (and "audioInput"?, "audioOutput"?: USD per million audio tokens, "audioMinute"?: USD per minute of audio, "characters"?: USD per million characters, "imageInput"?: USD per million input image tokens, "searches"?: USD per web search, "perImage"?: USD per image, or {"1024x1024": USD, "hd 1024x1792": USD, …}, "priority"?: {"input": n, "output": n, "cachedInput"?: n} under OpenAI's priority processing, "longContext"?: {"above": tokens, "input": n, "output": n, "cachedInput"?: n} for requests with more input than "above").`,
      );
      continue;
    }
    own[pattern] = {
      input: price.input as number,
      output: price.output as number,
      ...Object.fromEntries(
        optional.filter((field) => price[field] !== undefined).map((f) => [f, price[f] as number]),
      ),
      ...(perImage === undefined
        ? {}
        : { perImage: perImage as number | Readonly<Record<string, number>> }),
      ...(priority === undefined ? {} : { priority: priority as TierRates }),
      ...(longContext === undefined
        ? {}
        : { longContext: longContext as TierRates & { above: number } }),
    };
  }
  return { ...own, ...DEFAULT_PRICES, ...own };
}

/** A rate in USD: a number, not negative. */
function isRate(value: unknown): boolean {
  return typeof value === 'number' && value >= 0;
}

/** A price's rates for a tier: input, output and cached input; `above` (tokens) with `threshold`. */
function areRates(value: unknown, threshold: boolean): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const rates = value as Record<string, unknown>;
  const fields = ['input', 'output', 'cachedInput', ...(threshold ? ['above'] : [])];
  return (
    isRate(rates.input) &&
    isRate(rates.output) &&
    (rates.cachedInput === undefined || isRate(rates.cachedInput)) &&
    (!threshold || (Number.isInteger(rates.above) && (rates.above as number) > 0)) &&
    Object.keys(rates).every((k) => fields.includes(k))
  );
}

const PERIODS: readonly BudgetPeriod[] = ['day', 'month', 'total'];

export function limits(value: unknown, where: string, problems: string[]): Limits {
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

/** `http_proxy` and friends: the lower-case spelling wins, as in curl. */
export function proxyVar(
  env: Env,
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
