/**
 * Where a `/v1` request goes on an upstream. Most are an API root the rest of the path is
 * appended to. Azure OpenAI is the exception, as its official client (`AzureOpenAI` in `openai`)
 * shows: below `/openai`, model endpoints go through `/deployments/<deployment>`, and every
 * request carries `api-version`.
 */
import { isConverseModel } from './bedrock.ts';
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

/**
 * `path`: the client's `/v1/...?query`; `model`: the upstream's name for it, if any; `stream`:
 * the request asks for a stream (Claude on Vertex has a route for each).
 */
export function upstreamPath(
  upstream: Upstream,
  path: string,
  method: string,
  model: string | undefined,
  stream = false,
): string {
  const rest = path.slice('/v1'.length);
  const cloud = upstream.vertexClaude
    ? VERTEX
    : upstream.bedrock === undefined
      ? undefined
      : BEDROCK;
  if (cloud !== undefined) return cloudPath(cloud, upstream.basePath, rest, method, model, stream);
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

/** Where a cloud serves Claude's routes: a message's model in the path, not the body. */
interface CloudRoutes {
  message(model: string, stream: boolean): string;
  /** A token count, where the cloud has one. */
  readonly count: string | undefined;
}

/**
 * Claude on Vertex AI, as Anthropic's own `AnthropicVertex` client sends it: below
 * `…/publishers/anthropic/models`, a message to `<model>:streamRawPredict` (or `:rawPredict`),
 * a token count to `count-tokens:rawPredict`.
 */
const VERTEX: CloudRoutes = {
  message: (model, stream) =>
    `/${encodeURIComponent(model)}:${stream ? 'streamRawPredict' : 'rawPredict'}`,
  count: '/count-tokens:rawPredict',
};

/**
 * Claude on Bedrock, as `AnthropicBedrock` sends it: `/model/<model>/invoke(-with-response-stream)`;
 * its other models through Converse: `/model/<model>/converse(-stream)`.
 */
const BEDROCK: CloudRoutes = {
  message: (model, stream) =>
    `/model/${encodeURIComponent(model)}/${
      isConverseModel(model)
        ? stream
          ? 'converse-stream'
          : 'converse'
        : stream
          ? 'invoke-with-response-stream'
          : 'invoke'
    }`,
  count: undefined,
};

/** A cloud's route for a message or a count; the rest as it is (the cloud serves none of it). */
function cloudPath(
  cloud: CloudRoutes,
  base: string,
  rest: string,
  method: string,
  model: string | undefined,
  stream: boolean,
): string {
  const route = rest.split('?', 1)[0];
  if (method !== 'POST') return base + rest;
  if (route === '/messages' && model !== undefined) return base + cloud.message(model, stream);
  if (route === '/messages/count_tokens' && cloud.count !== undefined) return base + cloud.count;
  return base + rest;
}

/** The deployment a model goes to: the configured one, or the model's own name. */
function deploymentOf(deployments: Readonly<Record<string, string>>, model: string): string {
  // Own entries only: a model named `constructor` is not the object's constructor.
  return Object.hasOwn(deployments, model) ? (deployments[model] ?? model) : model;
}
