/**
 * What a `/v1` request is, from its method and path alone: an inference call every key may
 * make, the model list, or a route of a scope (files, batches, …) that a key must be granted —
 * and, within a scope, which provider object it names. Pure: tested without sockets.
 *
 * Inference routes read a model (JSON, or a multipart field); the shared provider account's
 * other routes hold everyone's data, so they are closed unless granted, and the objects a user
 * creates through them are theirs alone (`ownership.ts`).
 */
import type { RouteScope } from '../accounts/index.ts';
import { decodeSegment } from '../http/index.ts';

/** Scopes whose objects are not per-user (the grant is the whole of it). */
const UNOWNED: ReadonlySet<RouteScope> = new Set(['organization', 'realtime']);

/** `either`: a form or JSON, as the request's `Content-Type` says (an image edit). */
export type BodyKind = 'json' | 'multipart' | 'either';

export type RouteInfo =
  /** A model call: every key may make it; its body names the model. */
  | { readonly kind: 'inference'; readonly body: BodyKind }
  /** `GET /v1/models` (and one model): every key. */
  | { readonly kind: 'models' }
  | {
      readonly kind: 'scoped';
      readonly scope: RouteScope;
      /** The object the path names (`file-abc` in `/v1/files/file-abc/content`). */
      readonly objectId: string | undefined;
      /** Whether objects of this scope are owned per user. */
      readonly owned: boolean;
    }
  /** Nothing Sluice knows: only admins. */
  | { readonly kind: 'unknown' };

/** Shared answers for the routes of every request: nothing allocated per request. */
const JSON_INFERENCE: RouteInfo = Object.freeze({ kind: 'inference', body: 'json' });
const MULTIPART_INFERENCE: RouteInfo = Object.freeze({ kind: 'inference', body: 'multipart' });
const EITHER_INFERENCE: RouteInfo = Object.freeze({ kind: 'inference', body: 'either' });
const MODELS: RouteInfo = Object.freeze({ kind: 'models' });
const UNKNOWN: RouteInfo = Object.freeze({ kind: 'unknown' });

const INFERENCE_ROUTES: Readonly<Record<BodyKind, RouteInfo>> = {
  json: JSON_INFERENCE,
  multipart: MULTIPART_INFERENCE,
  either: EITHER_INFERENCE,
};

/** A route that takes `either` body: the one this request's body is. */
export function byBody(route: RouteInfo, multipart: boolean): RouteInfo {
  if (route.kind !== 'inference' || route.body !== 'either') return route;
  return multipart ? MULTIPART_INFERENCE : JSON_INFERENCE;
}

/** A Map, not an object: the key is the client's path, and an object also answers `constructor`. */
const INFERENCE: ReadonlyMap<string, BodyKind> = new Map([
  ['chat/completions', 'json'],
  ['completions', 'json'],
  ['responses', 'json'],
  ['responses/input_tokens', 'json'],
  // Compacting a long conversation (Codex asks for it) is a model call, billed by its usage.
  ['responses/compact', 'json'],
  ['embeddings', 'json'],
  ['moderations', 'json'],
  ['messages', 'json'],
  ['messages/count_tokens', 'json'],
  ['images/generations', 'json'],
  ['audio/speech', 'json'],
  ['audio/transcriptions', 'multipart'],
  ['audio/translations', 'multipart'],
  // OpenAI takes an edit as a form (the images uploaded) or as JSON (naming them by id or URL).
  ['images/edits', 'either'],
  ['images/variations', 'multipart'],
]);

/**
 * Where a scope's routes start and at which segment (after `/v1`) their object's id is; a
 * longer base wins (`messages/batches` before anything under `messages`).
 */
const SCOPE_BASES: readonly {
  base: readonly string[];
  scope: RouteScope;
  /** False where the next segment is not an object of the scope. */
  ids?: false;
}[] = [
  { base: ['chat', 'completions'], scope: 'chat_completions' },
  { base: ['messages', 'batches'], scope: 'batches' },
  { base: ['fine_tuning', 'jobs'], scope: 'fine_tuning' },
  { base: ['fine_tuning', 'checkpoints'], scope: 'fine_tuning' },
  { base: ['fine_tuning'], scope: 'fine_tuning', ids: false },
  { base: ['files'], scope: 'files' },
  { base: ['uploads'], scope: 'uploads' },
  { base: ['batches'], scope: 'batches' },
  { base: ['vector_stores'], scope: 'vector_stores' },
  { base: ['assistants'], scope: 'assistants' },
  { base: ['threads'], scope: 'threads' },
  { base: ['responses'], scope: 'responses' },
  { base: ['conversations'], scope: 'conversations' },
  { base: ['containers'], scope: 'containers' },
  { base: ['evals'], scope: 'evals' },
  { base: ['realtime'], scope: 'realtime', ids: false },
  { base: ['organization'], scope: 'organization', ids: false },
];

/** Collection actions that sit where an id would (`POST /v1/threads/runs`). */
const NOT_IDS: ReadonlySet<string> = new Set(['runs']);

/** `method` and `/v1/...` path (checked by `checkPath`: no empty or dot segments) → the route. */
export function routeOf(method: string, pathname: string): RouteInfo {
  const rest = pathname.slice('/v1/'.length);
  if (method === 'POST') {
    const body = INFERENCE.get(rest);
    if (body !== undefined) return INFERENCE_ROUTES[body];
  }
  const segments = rest.split('/');
  if (segments[0] === 'models' && segments.length <= 2 && (method === 'GET' || method === 'HEAD'))
    return MODELS;
  for (const { base, scope, ids } of SCOPE_BASES) {
    if (!base.every((part, i) => segments[i] === part)) continue;
    const candidate = ids === false ? undefined : segments[base.length];
    // Compared decoded: `file%2Dabc` is `file-abc` to the provider.
    const objectId =
      candidate !== undefined && !NOT_IDS.has(candidate) ? decodeSegment(candidate) : undefined;
    return { kind: 'scoped', scope, objectId, owned: !UNOWNED.has(scope) };
  }
  return UNKNOWN;
}
