import type { Dispatcher } from 'undici';
import type { ApiFamily, AzureSettings } from '../config/index.ts';
import type { Bedrock } from './bedrock.ts';
import type { Health } from './health.ts';

/** One key of an upstream, with its own health. */
export interface UpstreamKey {
  /** `openai#2`: names the key in logs, metrics and the admin page without showing it. */
  readonly id: string;
  /** Its authentication headers; none for a server that takes no key. */
  readonly headers: Readonly<Record<string, string>>;
  /** A bearer token minted when needed (a Google service account), instead of `headers`. */
  readonly token?: () => Promise<string>;
  readonly health: Health;
}

/** One place requests can go, ready to use: where, how to authenticate, which models. */
export interface Upstream {
  readonly name: string;
  readonly family: ApiFamily;
  /** `https://api.openai.com` */
  readonly origin: string;
  /** `/v1`: the API root's path, to which the request path below `/v1` is appended. */
  readonly basePath: string;
  readonly dispatcher: Dispatcher;
  /** It is reached through a forward proxy (HTTP or SOCKS). */
  readonly proxied: boolean;
  /** Configured extras sent with every request. Override the client's. */
  readonly headers: Readonly<Record<string, string>>;
  /** Sent unless the client sent its own (e.g. `anthropic-version`). */
  readonly defaultHeaders: Readonly<Record<string, string>>;
  /** At least one (a keyless one for a server that takes none). */
  readonly keys: readonly UpstreamKey[];
  readonly models: readonly string[] | undefined;
  readonly aliases: Readonly<Record<string, string>>;
  readonly priority: number;
  readonly weight: number;
  readonly azure: AzureSettings | undefined;
  /**
   * Claude on Vertex AI: Anthropic's Messages API at Google's `publishers/anthropic/models`, the
   * model in the path (`:streamRawPredict`, `:rawPredict`) and `anthropic_version` in the body.
   */
  readonly vertexClaude: boolean;
  /** Claude on Amazon Bedrock: its routes, SigV4 signatures and binary event stream. */
  readonly bedrock: Bedrock | undefined;
  /** It serves the Responses API; when not, Responses requests for it are translated to Chat. */
  readonly servesResponses: boolean;
  /** It is told which of Sluice's users asked (`UpstreamConfig.endUsers`, `end-users.ts`). */
  readonly endUsers: boolean;
  readonly health: Health;
  /** Round-robin state: the weighted turn among its priority, the next key. */
  readonly turn: { current: number; key: number };
  /** Requests this process has open with it now (streams included), for the choice. */
  readonly load: { inFlight: number };
  /** The built-in demo model rather than a real provider. */
  readonly demo: boolean;
}

/** The headers that authenticate with `key`; a minted token is fetched (or minted) first. */
export async function keyHeaders(key: UpstreamKey): Promise<Readonly<Record<string, string>>> {
  return key.token === undefined
    ? key.headers
    : { ...key.headers, authorization: `Bearer ${await key.token()}` };
}

/** How each API family authenticates, and what it needs by default. */
export const FAMILY_HEADERS: Record<
  ApiFamily | 'azure' | 'bedrock',
  { auth(key: string): Record<string, string>; defaults: Record<string, string> }
> = {
  openai: { auth: (key) => ({ authorization: `Bearer ${key}` }), defaults: {} },
  azure: { auth: (key) => ({ 'api-key': key }), defaults: {} },
  // Bedrock API keys; Bedrock takes `anthropic_version` in the body, not as a header.
  bedrock: { auth: (key) => ({ authorization: `Bearer ${key}` }), defaults: {} },
  anthropic: {
    auth: (key) => ({ 'x-api-key': key }),
    defaults: { 'anthropic-version': '2023-06-01' },
  },
};

/**
 * The upstreams that may serve a request. An upstream serves the models its patterns name and
 * its aliases. A model no upstream of the family names: a 404 on the model routes (chat,
 * completions, responses, messages), every upstream of the family on the others (embeddings,
 * images, audio, moderations) — patterns written for chat models (`gpt-*`) must not shut out
 * `text-embedding-3-small`.
 */
export function candidatesFor(
  upstreams: readonly Upstream[],
  family: ApiFamily,
  model: string | undefined,
  modelRoute: boolean,
): Upstream[] {
  const ofFamily = upstreams.filter((u) => u.family === family);
  if (model === undefined) return ofFamily;
  const serving = ofFamily.filter(
    (u) => servesModel(u.models, model) || Object.hasOwn(u.aliases, model),
  );
  return serving.length > 0 || modelRoute ? serving : ofFamily;
}

/**
 * Whether a request of `family` goes to the same upstreams whatever its model: none of them
 * filters models, renames one (aliases) or routes by it (Azure deployments).
 */
export function choiceIgnoresModel(upstreams: readonly Upstream[], family: ApiFamily): boolean {
  return upstreams.every(
    (u) =>
      u.family !== family ||
      (u.models === undefined && u.azure === undefined && Object.keys(u.aliases).length === 0),
  );
}

/** The name `upstream` knows `model` by: an alias resolved, anything else as it is. */
export function upstreamModel(upstream: Upstream, model: string): string {
  return Object.hasOwn(upstream.aliases, model) ? (upstream.aliases[model] ?? model) : model;
}

/**
 * The names a model goes by, the one given first: Google's OpenAI-compatible API names its models
 * `models/gemini-…` and serves them by the bare `gemini-…` too; Vertex AI's names them
 * `google/gemini-…`; Bedrock names Claude `anthropic.claude-…`, or `us.anthropic.claude-…` for
 * a cross-region profile. Patterns, keys' model lists and prices may say the bare name.
 */
export function namesOf(model: string): readonly string[] {
  const prefix = PROVIDER_PREFIX.exec(model)?.[0];
  return prefix === undefined ? [model] : [model, model.slice(prefix.length)];
}

const PROVIDER_PREFIX = /^(?:models\/|google\/|(?:[a-z]{2,6}\.)?anthropic\.)/;

/** `*` in a pattern matches any run of characters; no patterns means every model. */
export function servesModel(
  patterns: readonly string[] | undefined,
  model: string | undefined,
): boolean {
  if (patterns === undefined || model === undefined) return true;
  return patterns.some((pattern) => patternRegex(pattern).test(model));
}

/** Patterns come from configuration and keys: few, and asked about on every request. */
const compiled = new Map<string, RegExp>();

function patternRegex(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, regex);
  }
  return regex;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
