/**
 * `GET /v1/models` when one upstream's answer is not the whole truth: with several upstreams of
 * a family each lists only its own models, and a key limited to some models should see only
 * those. Then every upstream is asked at once, and from each answer Sluice keeps the models
 * that upstream is configured to serve and the caller may use (the first upstream wins an id
 * listed twice, as it would win the request). With one upstream and an unrestricted caller the
 * answer is relayed untouched instead.
 */
import type { Timeouts } from '../config/index.ts';
import { type SluiceError, UpstreamProtocolError } from '../errors/index.ts';
import type { Principal } from '../accounts/index.ts';
import type { ApiFamily } from '../config/index.ts';
import {
  keyHeaders,
  namesOf,
  servesModel,
  type Upstream,
  type UpstreamKey,
  upstreamPath,
} from '../upstream/index.ts';
import { withoutOwner } from './account-ids.ts';
import { mapUpstreamError, upstreamHttpFailure } from './upstream-errors.ts';

const MAX_LIST_BYTES = 4 * 1024 * 1024;

/** OpenAI's list shape, or Anthropic's (one page holding everything). */
export type ModelList =
  | { readonly object: 'list'; readonly data: readonly Record<string, unknown>[] }
  | {
      readonly data: readonly Record<string, unknown>[];
      readonly has_more: false;
      readonly first_id: string | null;
      readonly last_id: string | null;
    };

/**
 * Whether `GET /v1/models` must be put together rather than relayed: several upstreams, names
 * to filter or add, or an upstream whose list is its configuration (Azure, Claude on Vertex).
 */
export function mergesModels(candidates: readonly Upstream[], principal: Principal): boolean {
  return (
    candidates.length > 1 ||
    candidates.some((u) => u.azure !== undefined || u.vertexClaude || u.bedrock !== undefined) ||
    keyModels(principal) !== null ||
    candidates.some((u) => Object.keys(u.aliases).length > 0)
  );
}

/**
 * The merged list; fails only if no upstream answered (with the first upstream's error).
 * Upstreams that failed while others answered are named in `failed`, for the log.
 */
export async function listModels(
  candidates: readonly Upstream[],
  principal: Principal,
  timeouts: Timeouts,
  family: ApiFamily,
  /** What each upstream is told of the request's trace (`traceparent`). */
  traceHeaders: Readonly<Record<string, string>>,
): Promise<{ list: ModelList; failed: { upstream: string; error: SluiceError }[] }> {
  const answers = await Promise.all(
    candidates.map(async (upstream) => {
      try {
        return { upstream, models: await fetchModels(upstream, timeouts, traceHeaders) };
      } catch (error) {
        return { upstream, error: mapUpstreamError(upstream.name, error, timeouts, false) };
      }
    }),
  );
  const allowed = keyModels(principal);
  const seen = new Set<string>();
  const data: Record<string, unknown>[] = [];
  const failed: { upstream: string; error: SluiceError }[] = [];
  for (const answer of answers) {
    if (answer.error !== undefined) {
      failed.push({ upstream: answer.upstream.name, error: answer.error });
      continue;
    }
    for (const model of answer.models) {
      const id = listedName(
        model.id,
        (name) =>
          servesModel(answer.upstream.models, name) &&
          (allowed === null || servesModel(allowed, name)),
      );
      if (id === undefined || seen.has(id)) continue;
      seen.add(id);
      // Models of the other family are served by translation: listed in the asker's shape.
      data.push(
        answer.upstream.family === family
          ? { ...withoutOwner(model), id }
          : entryFor(family, id, answer.upstream.name),
      );
    }
    // Aliases are models too, for the clients that list before they ask.
    for (const [alias, target] of Object.entries(answer.upstream.aliases)) {
      if (seen.has(alias) || (allowed !== null && !servesModel(allowed, alias))) continue;
      seen.add(alias);
      data.push(entryFor(family, alias, answer.upstream.name, target));
    }
  }
  const first = failed[0];
  if (first !== undefined && failed.length === answers.length) throw first.error;
  const anthropic = family === 'anthropic';
  const id = (m: Record<string, unknown> | undefined) => (m?.id as string | undefined) ?? null;
  const list: ModelList = anthropic
    ? { data, has_more: false, first_id: id(data[0]), last_id: id(data.at(-1)) }
    : { object: 'list', data };
  return { list, failed };
}

/**
 * The name a listed model is offered by, if the caller may ask for it here. Google lists its
 * models as `models/gemini-2.5-flash` and serves them by that name or the bare one; patterns,
 * keys' model lists and prices say `gemini-*`, so where only the bare name is served and allowed,
 * that is the one listed (the one a request is routed, allowed and priced by).
 */
function listedName(id: unknown, offered: (name: string) => boolean): string | undefined {
  return typeof id === 'string' ? namesOf(id).find(offered) : undefined;
}

function keyModels(principal: Principal): readonly string[] | null {
  return principal.kind === 'key' ? principal.key.models : null;
}

async function fetchModels(
  upstream: Upstream,
  timeouts: Timeouts,
  traceHeaders: Readonly<Record<string, string>>,
): Promise<Record<string, unknown>[]> {
  // An Azure resource lists its models, not its deployments: what it serves is configured.
  const deployments = Object.keys(upstream.azure?.deployments ?? {});
  if (deployments.length > 0) return deployments.map((id) => entryFor('openai', id, upstream.name));
  // Vertex and Bedrock list no Claude models here: those its patterns name whole it serves.
  if (upstream.vertexClaude || upstream.bedrock !== undefined)
    return (upstream.models ?? [])
      .filter((pattern) => !pattern.includes('*'))
      .map((id) => entryFor('anthropic', id, upstream.name));
  const response = await upstream.dispatcher.request({
    origin: upstream.origin,
    // Anthropic pages its list (20 by default); one page of its maximum holds every model.
    path: upstreamPath(
      upstream,
      `/v1/models${upstream.family === 'anthropic' ? '?limit=1000' : ''}`,
      'GET',
      undefined,
    ),
    method: 'GET',
    headers: {
      ...upstream.defaultHeaders,
      ...traceHeaders,
      ...upstream.headers,
      ...(await keyHeaders(listingKey(upstream))),
      accept: 'application/json',
    },
    headersTimeout: timeouts.firstByteMs,
    bodyTimeout: timeouts.idleMs,
  });
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > MAX_LIST_BYTES) {
      response.body.destroy();
      throw new UpstreamProtocolError(upstream.name, 'listed more than 4 MiB of models.');
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (response.statusCode >= 400) {
    throw upstreamHttpFailure(upstream.name, response.statusCode, response.headers, body);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new UpstreamProtocolError(upstream.name, 'answered /models with something not JSON.');
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) {
    throw new UpstreamProtocolError(upstream.name, 'answered /models without a `data` list.');
  }
  return data.filter(
    (m): m is Record<string, unknown> => typeof m === 'object' && m !== null && !Array.isArray(m),
  );
}

/** A key to list with: the first that is not broken, else the first. */
function listingKey(upstream: Upstream): UpstreamKey {
  const [first] = upstream.keys;
  if (first === undefined) throw new Error(`upstream ${upstream.name} has no keys`);
  return upstream.keys.find((k) => k.health.state !== 'open') ?? first;
}

/** A list entry in `family`'s shape; `aliasOf` for an alias, saying what it stands for. */
function entryFor(
  family: ApiFamily,
  id: string,
  owner: string,
  aliasOf?: string,
): Record<string, unknown> {
  return family === 'anthropic'
    ? {
        type: 'model',
        id,
        display_name: aliasOf === undefined ? id : `${id} (${aliasOf})`,
        created_at: '1970-01-01T00:00:00Z',
      }
    : {
        id,
        object: 'model',
        created: 0,
        owned_by: owner,
        ...(aliasOf === undefined ? {} : { alias_of: aliasOf }),
      };
}
