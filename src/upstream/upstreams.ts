import type { Dispatcher } from 'undici';
import type { ApiFamily } from '../config/index.ts';

/** One place requests can go, ready to use: where, how to authenticate, which models. */
export interface Upstream {
  readonly name: string;
  readonly family: ApiFamily;
  /** `https://api.openai.com` */
  readonly origin: string;
  /** `/v1`: the API root's path, to which the request path below `/v1` is appended. */
  readonly basePath: string;
  readonly dispatcher: Dispatcher;
  /** Sent with every request: authentication and configured extras. Override the client's. */
  readonly headers: Readonly<Record<string, string>>;
  /** Sent unless the client sent its own (e.g. `anthropic-version`). */
  readonly defaultHeaders: Readonly<Record<string, string>>;
  readonly models: readonly string[] | undefined;
  /** The built-in demo model rather than a real provider. */
  readonly demo: boolean;
}

/** How each API family authenticates, and what it needs by default. */
export const FAMILY_HEADERS: Record<
  ApiFamily,
  { auth(key: string): Record<string, string>; defaults: Record<string, string> }
> = {
  openai: { auth: (key) => ({ authorization: `Bearer ${key}` }), defaults: {} },
  anthropic: {
    auth: (key) => ({ 'x-api-key': key }),
    defaults: { 'anthropic-version': '2023-06-01' },
  },
};

/** The upstreams that may serve a request, in the order to try them (failover). */
export function candidatesFor(
  upstreams: readonly Upstream[],
  family: ApiFamily,
  model: string | undefined,
): Upstream[] {
  return upstreams.filter((u) => u.family === family && servesModel(u.models, model));
}

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
