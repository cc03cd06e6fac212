/**
 * Upstreams from the environment (OPENAI_API_KEY, BASE_URL, OPENAI_BASE_URL, ANTHROPIC_*) and
 * from the config file, each validated into an `UpstreamConfig`.
 */
import type { ApiFamily, UpstreamConfig } from './types.ts';
import { type FileValue, nonEmpty, stringOr } from './read.ts';
import type { Env } from './values.ts';

/**
 * The file's upstreams, then those from the environment for API families the file does not
 * cover: a file that lists its own OpenAI upstreams (perhaps keyed by OPENAI_API_KEY through
 * apiKeyEnv) is not second-guessed by the same variables.
 */
export function mergeUpstreams(
  fromFile: UpstreamConfig[],
  fromEnv: UpstreamConfig[],
): UpstreamConfig[] {
  return [...fromFile, ...fromEnv.filter((u) => !fromFile.some((f) => f.family === u.family))];
}

export function upstreamsFromEnv(env: Env, problems: string[]): UpstreamConfig[] {
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

export function upstreamsFromFile(
  value: FileValue,
  env: Env,
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
