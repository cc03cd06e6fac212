/**
 * Upstreams from the environment (OPENAI_API_KEY, BASE_URL, OPENAI_BASE_URL, ANTHROPIC_*) and
 * from the config file, each validated into an `UpstreamConfig`. The file's shape is checked by
 * `schema.ts`; here, what the shape cannot say (keys named by variables, URLs, proxies).
 */
import type { ConfigFile } from './schema.ts';
import type { ApiFamily, AzureSettings, BedrockSettings, UpstreamConfig } from './types.ts';
import { readGoogleCredentials } from './google-credentials.ts';
import { awsCredentialSource } from './aws-credentials.ts';
import { azureTokenSource } from './azure-credentials.ts';
import { nonEmpty } from './read.ts';
import type { Env } from './values.ts';

type FileUpstream = NonNullable<ConfigFile['upstreams']>[number];

/**
 * The file's upstreams, then those from the environment for API families the file does not
 * cover: a file that lists its own OpenAI upstreams (perhaps keyed by OPENAI_API_KEY through
 * apiKeyEnv) is not second-guessed by the same variables.
 */
export function mergeUpstreams(
  fromFile: UpstreamConfig[],
  fromEnv: UpstreamConfig[],
  env: Env,
  problems: string[],
): UpstreamConfig[] {
  // Said of an upstream that is then not made: refused, not silently ignored.
  if (nonEmpty(env.SLUICE_RESPONSES) !== undefined && fromFile.some((f) => f.family === 'openai'))
    problems.push(
      'SLUICE_RESPONSES is for the upstream of OPENAI_API_KEY/BASE_URL, and the config file lists its own OpenAI-family upstreams instead: set "responses": false on those entries.',
    );
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
    result.push({
      ...upstream('openai', 'openai', base ?? new URL('https://api.openai.com/v1'), openaiKey),
      responses: servesResponses(env.SLUICE_RESPONSES, problems),
    });
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

/** The file's upstreams; `entries` has the schema's shape already. */
export function upstreamsFromFile(
  entries: readonly FileUpstream[] | undefined,
  env: Env,
  problems: string[],
): UpstreamConfig[] {
  const result: UpstreamConfig[] = [];
  for (const [i, entry] of (entries ?? []).entries()) {
    const made = fromEntry(entry, `upstreams[${i}]`, env, problems);
    // Without a priority, the list's order is the failover order, as it always was; upstreams
    // given one priority share the requests by weight.
    if (made !== undefined)
      result.push({ ...made, name: entry.name ?? `upstream-${i}`, priority: entry.priority ?? i });
  }
  return result;
}

function fromEntry(
  entry: FileUpstream,
  where: string,
  env: Env,
  problems: string[],
): Omit<UpstreamConfig, 'name'> | undefined {
  const azure = entry.family === 'azure';
  // Azure and Bedrock take their paths below the bare origin; every other API root ends in /v1.
  const base = apiRoot(
    entry.baseUrl,
    `${where}.baseUrl`,
    problems,
    !azure && entry.aws === undefined,
  );
  if (base === undefined) return undefined;
  const keys = [
    ...(entry.apiKey === undefined ? [] : [entry.apiKey]),
    ...(entry.apiKeys ?? []),
    ...[
      ...(entry.apiKeyEnv === undefined ? [] : [['apiKeyEnv', entry.apiKeyEnv] as const]),
      ...(entry.apiKeyEnvs ?? []).map((name, i) => [`apiKeyEnvs[${i}]`, name] as const),
    ]
      .map(([field, name]) => {
        const key = nonEmpty(env[name]);
        if (key === undefined) problems.push(`${where}.${field} names ${name}, which is not set.`);
        return key;
      })
      .filter((key) => key !== undefined),
  ];
  if (azure && entry.apiVersion === undefined) {
    problems.push(
      `${where} is an Azure OpenAI upstream: it needs "apiVersion", e.g. "2024-10-21".`,
    );
    return undefined;
  }
  // Without a key, Microsoft Entra ID: the tokens the environment's identity gets.
  const settings: AzureSettings | undefined = azure
    ? {
        apiVersion: entry.apiVersion ?? '',
        deployments: entry.deployments ?? {},
        entra: keys.length === 0 ? azureTokenSource(env, where, problems) : undefined,
      }
    : undefined;
  if (!azure && (entry.apiVersion !== undefined || entry.deployments !== undefined))
    problems.push(`${where}: "apiVersion" and "deployments" are for "family": "azure" only.`);
  const proxy = entry.proxy === undefined ? undefined : proxyOf(entry.proxy, where, problems);
  const google =
    entry.googleCredentials === undefined
      ? undefined
      : readGoogleCredentials(entry.googleCredentials, env, `${where}.googleCredentials`, problems);
  if (entry.googleCredentials !== undefined && azure)
    problems.push(
      `${where}: "googleCredentials" is for Vertex AI ("family": "openai" for its OpenAI-compatible endpoint, "anthropic" for Claude), not Azure.`,
    );
  // Bedrock API keys (bearer tokens) stand in for signing: the entry's, else the variable AWS's
  // SDKs read.
  const bearer = nonEmpty(env['AWS_BEARER_TOKEN_BEDROCK']);
  if (entry.aws !== undefined && keys.length === 0 && bearer !== undefined) keys.push(bearer);
  const bedrock =
    entry.aws === undefined
      ? undefined
      : bedrockOf(entry, base, keys.length > 0, where, env, problems);
  if (entry.googleCredentials !== undefined && keys.length > 0)
    problems.push(
      `${where}: "googleCredentials" mints its own tokens; it takes no "apiKey", "apiKeys", "apiKeyEnv" or "apiKeyEnvs".`,
    );
  return {
    family: entry.family === 'anthropic' ? 'anthropic' : 'openai',
    baseUrl: base,
    apiKeys: keys,
    googleCredentials: google,
    bedrock,
    // An Azure resource serves its deployments: those models, unless said otherwise.
    models:
      entry.models ??
      (settings !== undefined && Object.keys(settings.deployments).length > 0
        ? Object.keys(settings.deployments)
        : undefined),
    headers: entry.headers ?? {},
    priority: entry.priority ?? 0,
    weight: entry.weight ?? 1,
    proxy,
    aliases: entry.aliases ?? {},
    responses: entry.responses ?? true,
    endUsers: entry.endUsers ?? knowsEndUsers(base),
    azure: settings,
  };
}

function upstream(
  name: string,
  family: ApiFamily,
  baseUrl: URL,
  apiKey: string | undefined,
): UpstreamConfig {
  return {
    name,
    family,
    baseUrl,
    apiKeys: apiKey === undefined ? [] : [apiKey],
    googleCredentials: undefined,
    bedrock: undefined,
    models: undefined,
    headers: {},
    priority: 0,
    weight: 1,
    proxy: undefined,
    aliases: {},
    responses: true,
    endUsers: knowsEndUsers(baseUrl),
    azure: undefined,
  };
}

/**
 * Bedrock's settings: its region, and where its credentials come from — none when it has
 * Bedrock API keys (`keyed`: sent as bearer tokens, not signed); else `aws-credentials.ts`: the
 * variables the entry names, or the first of AWS's own chain that the environment has.
 * Claude only: Bedrock's Anthropic models speak the Messages API.
 */
function bedrockOf(
  entry: FileUpstream,
  base: URL,
  keyed: boolean,
  where: string,
  env: Env,
  problems: string[],
): BedrockSettings | undefined {
  const aws = entry.aws;
  if (aws === undefined) return undefined;
  if (entry.family !== 'anthropic') {
    problems.push(`${where}: "aws" is for Claude on Amazon Bedrock: "family": "anthropic".`);
    return undefined;
  }
  // SigV4 signs for the region the endpoint is in: its host says it; else the entry or AWS's
  // variables do.
  const hosted = /^bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com$/.exec(
    base.hostname,
  )?.[1];
  const region =
    aws.region ?? hosted ?? nonEmpty(env['AWS_REGION']) ?? nonEmpty(env['AWS_DEFAULT_REGION']);
  if (region === undefined) {
    problems.push(
      `${where}.aws.region is needed: the baseUrl does not say it, nor AWS_REGION or AWS_DEFAULT_REGION.`,
    );
    return undefined;
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    problems.push(`${where}.aws.region must be an AWS region such as us-east-1, not "${region}".`);
    return undefined;
  }
  if (hosted !== undefined && hosted !== region) {
    problems.push(
      `${where}.aws.region is ${region}, but the baseUrl is Bedrock's in ${hosted}: AWS would refuse the signatures.`,
    );
    return undefined;
  }
  if (keyed) {
    if (aws.accessKeyIdEnv !== undefined || aws.secretAccessKeyEnv !== undefined)
      problems.push(
        `${where}: Bedrock API keys ("apiKey…" or AWS_BEARER_TOKEN_BEDROCK) or "aws.accessKeyIdEnv"/"secretAccessKeyEnv", not both.`,
      );
    return { region, credentials: undefined };
  }
  const credentials = awsCredentialSource(aws, region, env, where, problems);
  return credentials === undefined ? undefined : { region, credentials };
}

/** OpenAI's and Anthropic's own APIs take end-user identifiers; others are not assumed to. */
function knowsEndUsers(baseUrl: URL): boolean {
  return (
    baseUrl.origin === 'https://api.openai.com' || baseUrl.origin === 'https://api.anthropic.com'
  );
}

/**
 * `SLUICE_RESPONSES=false`: the environment's OpenAI-family upstream (DeepSeek, vLLM, Ollama
 * behind BASE_URL) has no Responses API, as `"responses": false` says in the config file.
 */
function servesResponses(text: string | undefined, problems: string[]): boolean {
  const value = nonEmpty(text)?.toLowerCase();
  if (value === undefined || value === 'true') return true;
  if (value === 'false') return false;
  problems.push(`SLUICE_RESPONSES must be true or false, not "${text ?? ''}".`);
  return true;
}

/** `none`, or a proxy URL Sluice can use: http(s) forward proxies and SOCKS5. */
function proxyOf(text: string, where: string, problems: string[]): string | undefined {
  if (text === 'none') return 'none';
  try {
    const url = new URL(text);
    if (['http:', 'https:', 'socks5:', 'socks5h:', 'socks:'].includes(url.protocol)) return text;
  } catch {
    // reported below
  }
  problems.push(
    `${where}.proxy must be "none" or a proxy URL such as http://proxy:3128 or socks5://127.0.0.1:1080; got "${text}".`,
  );
  return undefined;
}

/**
 * The API root of an upstream. `BASE_URL` follows the relay convention: an origin alone means
 * `/v1` on that origin; with a path, the path is used as given. `OPENAI_BASE_URL` is always used
 * as given, as the SDKs use their base URL: `http://host:port` means `http://host:port/models`.
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
