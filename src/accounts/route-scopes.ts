/**
 * The `/v1` route scopes a key can be granted beyond inference (`sluice keys create --routes`).
 * Inference routes and the model list are open to every key; each scope here reaches a part of
 * the shared provider account (its files, batches, stored responses, …), so it is granted on
 * purpose. Admin keys and `SLUICE_ADMIN_KEY` reach every route.
 */
export const ROUTE_SCOPES = [
  'files',
  'uploads',
  'batches',
  'fine_tuning',
  'vector_stores',
  'assistants',
  'threads',
  'chat_completions',
  'responses',
  'conversations',
  'containers',
  'evals',
  'realtime',
  'organization',
] as const;

export type RouteScope = (typeof ROUTE_SCOPES)[number];

const KNOWN: ReadonlySet<string> = new Set(ROUTE_SCOPES);

export function isRouteScope(name: string): name is RouteScope {
  return KNOWN.has(name);
}

/** `files,batches` → the scopes, each once; undefined if any name is not a scope. */
export function parseRouteScopes(list: readonly string[]): RouteScope[] | undefined {
  const names = [...new Set(list.map((s) => s.trim()).filter((s) => s !== ''))];
  return names.every(isRouteScope) ? names : undefined;
}
