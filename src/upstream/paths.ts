/**
 * Where a `/v1` request goes on an upstream. Most are an API root the rest of the path is
 * appended to. Azure OpenAI is the exception, as its official client (`AzureOpenAI` in `openai`)
 * shows: below `/openai`, model endpoints go through `/deployments/<deployment>`, and every
 * request carries `api-version`.
 */
import type { Upstream } from './upstreams.ts';

/** Endpoints the Azure client sends through a deployment (openai-node, `azure.ts`). */
const DEPLOYMENT_ENDPOINTS = new Set([
  '/completions',
  '/chat/completions',
  '/embeddings',
  '/audio/transcriptions',
  '/audio/translations',
  '/audio/speech',
  '/images/generations',
  '/batches',
  '/images/edits',
]);

/** `path`: the client's `/v1/...?query`; `model`: the upstream's name for it, if any. */
export function upstreamPath(
  upstream: Upstream,
  path: string,
  method: string,
  model: string | undefined,
): string {
  const rest = path.slice('/v1'.length);
  const azure = upstream.azure;
  if (azure === undefined) return upstream.basePath + rest;
  const [route, query] = rest.split('?', 2) as [string, string | undefined];
  const deployment =
    method === 'POST' && model !== undefined && DEPLOYMENT_ENDPOINTS.has(route)
      ? `/deployments/${encodeURIComponent(deploymentOf(azure.deployments, model))}`
      : '';
  const params = new URLSearchParams(query);
  params.set('api-version', azure.apiVersion);
  return `${upstream.basePath}${deployment}${route}?${params.toString()}`;
}

/** The deployment a model goes to: the configured one, or the model's own name. */
function deploymentOf(deployments: Readonly<Record<string, string>>, model: string): string {
  // Own entries only: a model named `constructor` is not the object's constructor.
  return Object.hasOwn(deployments, model) ? (deployments[model] ?? model) : model;
}
