/**
 * What a caller may ask of `/v1`: which routes (inference and the model list for every key;
 * the scopes a key was granted; everything for admins) and which models (a key's allow-list;
 * a key or user held to a model list or a budget must say which model it uses, or nothing
 * could be checked or charged).
 */
import { isAdmin, type Principal, userOf } from '../accounts/index.ts';
import {
  BackgroundNotMeteredError,
  ModelNotAllowedError,
  ModelNotFoundError,
  ModelNotPricedError,
  ModelRequiredError,
  RouteNotAllowedError,
  ToolNotPricedError,
} from '../errors/index.ts';
import { decodeSegment } from '../http/index.ts';
import type { Limits } from '../store/types.ts';
import { servesModel } from '../upstream/index.ts';
import type { RouteInfo } from './routes.ts';
import { searchesTheWeb } from './request.ts';

export function authorizeRoute(principal: Principal, route: RouteInfo, path: string): void {
  if (route.kind === 'inference' || route.kind === 'models' || isAdmin(principal)) return;
  const granted = principal.kind === 'key' ? principal.key.routes : [];
  if (route.kind === 'scoped' && granted.includes(route.scope)) return;
  const who = principal.kind === 'key' ? `The API key ${principal.keyPrefix}…` : 'This session';
  throw new RouteNotAllowedError(
    route.kind === 'scoped'
      ? `${who} may not use ${path}: it is not granted the "${route.scope}" routes. An admin can create a key with \`sluice keys create --routes ${route.scope}\`.`
      : `${who} may not use ${path}: Sluice does not know this route, so only admins may use it.`,
  );
}

/**
 * A key limited to some models sees only those: one model's page too (`GET /v1/models/{id}`),
 * answered as a model that does not exist, as the list leaves it out.
 */
export function authorizeModelPage(principal: Principal, route: RouteInfo, pathname: string): void {
  if (route.kind !== 'models' || principal.kind !== 'key' || principal.key.models === null) return;
  if (!pathname.startsWith(MODEL_PAGE)) return;
  const model = decodeSegment(pathname.slice(MODEL_PAGE.length));
  if (!servesModel(principal.key.models, model))
    throw new ModelNotFoundError(`The model \`${model}\` does not exist.`);
}

const MODEL_PAGE = '/v1/models/';

/** A key limited to some models may use only those; a limited caller must name one. */
export function authorizeModel(
  principal: Principal,
  model: string | undefined,
  route: RouteInfo,
): void {
  if (principal.kind === 'admin') return;
  const key = principal.kind === 'key' ? principal.key : undefined;
  if (model === undefined) {
    if (route.kind !== 'inference' || !isLimited(principal)) return;
    throw new ModelRequiredError(
      `This request names no model, and ${callerName(principal)} is limited to some models or to a budget: say which model to use ("model").`,
    );
  }
  if (key === undefined || key.models === null || servesModel(key.models, model)) return;
  throw new ModelNotAllowedError(
    `The API key ${principal.keyPrefix}… may not use the model \`${model}\`; it may use ${key.models.join(', ')}.`,
  );
}

/**
 * A caller held to a cost budget (the key's or its user's) may use only models with a price:
 * each of `models()` — the name asked for and those its upstreams know it by — must have one.
 * (Asked for only when the caller is held: most are not.)
 */
export function requirePrice(
  principal: Principal,
  models: () => readonly string[],
  priced: (model: string) => boolean,
): void {
  if (principal.kind === 'admin') return;
  const unpriced = heldBy(principal, hasCostBudget)
    ? models().find((model) => !priced(model))
    : undefined;
  if (unpriced === undefined) return;
  throw new ModelNotPricedError(
    `The model \`${unpriced}\` has no price, and ${callerName(principal)} has a cost budget that its requests would not be charged to. An admin can give it one in the config file's "prices".`,
  );
}

/**
 * A background response runs on at the provider after its connection ends, and its usage goes
 * only to whoever fetches it later: nothing Sluice could charge. A key or user whose limits
 * count tokens or money (a budget, `tpm`) may not ask for one; everyone else may.
 */
export function requireMetered(principal: Principal, detached: boolean): void {
  if (!detached || principal.kind === 'admin' || !heldBy(principal, countsUsage)) return;
  throw new BackgroundNotMeteredError(
    `A background response ("background": true) runs on after the request, and its tokens would not be counted: ${callerName(principal)} has a budget or token rate limit. Ask without "background" (streamed, if the answer is long), or ask an admin for a key without such limits.`,
    'background',
  );
}

/**
 * Built-in tools billed per call (`ParsedRequest.feeTools`) cost more than their tokens: a key or
 * user held to a cost budget may use only those the price table prices — web searches, where
 * the model's price has `searches` (`searchesPriced`).
 */
export function requirePricedTools(
  principal: Principal,
  feeTools: readonly string[],
  searchesPriced: () => boolean,
): void {
  if (feeTools.length === 0 || principal.kind === 'admin' || !heldBy(principal, hasCostBudget))
    return;
  const tool = feeTools.find((t) => !searchesTheWeb(t) || !searchesPriced());
  if (tool === undefined) return;
  throw new ToolNotPricedError(
    `The provider bills \`${tool}\` per call, beside the tokens, and Sluice has no price for those calls: ${callerName(principal)} has a cost budget that would not hold. Ask without it, or ask an admin for a key without a cost budget${searchesTheWeb(tool) ? ' (or to price this model\'s web searches: "searches" in its price)' : ''}.`,
  );
}

/**
 * `POST` routes that start work the provider bills on its own, out of Sluice's sight: a batch
 * (OpenAI's, Anthropic's), a fine-tuning job (or resuming a paused one), a grader run (model
 * graders cost tokens), an eval run, an Assistants run (and its tool outputs, which resume it),
 * a realtime session, translation session or call, or accepting an incoming call (its client
 * then speaks to the provider directly), a code container, and vector store storage (billed by
 * the day: a store, the files added to one).
 */
const BACKGROUND_WORK = [
  /^\/v1\/(?:messages\/)?batches$/,
  /^\/v1\/fine_tuning\/jobs(?:\/[^/]+\/resume)?$/,
  /^\/v1\/fine_tuning\/alpha\/graders\/run$/,
  /^\/v1\/evals\/[^/]+\/runs$/,
  /^\/v1\/threads(?:\/[^/]+)?\/runs$/,
  /^\/v1\/threads\/[^/]+\/runs\/[^/]+\/submit_tool_outputs$/,
  /^\/v1\/realtime\/(?:sessions|transcription_sessions|(?:translations\/)?client_secrets|calls)$/,
  /^\/v1\/realtime\/calls\/[^/]+\/accept$/,
  /^\/v1\/containers$/,
  /^\/v1\/vector_stores(?:\/[^/]+\/(?:files|file_batches))?$/,
];

/**
 * A key or user whose limits count tokens or money may not start background work through a
 * granted route (`BACKGROUND_WORK`): its usage would never reach the limits.
 */
export function requireMeteredRoute(
  principal: Principal,
  route: RouteInfo,
  method: string,
  pathname: string,
): void {
  // Inference and model routes start nothing in the background (`requireMetered` has those).
  if (route.kind !== 'scoped' || method !== 'POST' || principal.kind === 'admin') return;
  if (!BACKGROUND_WORK.some((route) => route.test(pathname))) return;
  if (!heldBy(principal, countsUsage)) return;
  throw new BackgroundNotMeteredError(
    `\`POST ${pathname}\` starts work the provider bills on its own, after the request, and its usage would not be counted: ${callerName(principal)} has a budget or token rate limit. Ask an admin for a key without such limits.`,
  );
}

/** How an error names the caller: a key by its prefix, a signed-in user as their account. */
function callerName(principal: Principal): string {
  return principal.kind === 'key' ? `the API key ${principal.keyPrefix}…` : 'this account';
}

/** Whether the key's limits or its user's meet `test`. */
function heldBy(principal: Principal, test: (limits: Limits) => boolean): boolean {
  const user = userOf(principal);
  return (
    (principal.kind === 'key' && test(principal.key.limits)) ||
    (user !== undefined && test(user.limits))
  );
}

/** Held to a model list or to a budget (the key's or its user's). */
function isLimited(principal: Principal): boolean {
  if (principal.kind === 'key' && principal.key.models !== null) return true;
  return heldBy(principal, hasBudget);
}

function hasCostBudget(limits: Limits): boolean {
  return limits.budgetCost !== null;
}

function hasBudget(limits: Limits): boolean {
  return limits.budgetCost !== null || limits.budgetTokens !== null;
}

/** Limits that count tokens or money: a budget or a token rate. */
function countsUsage(limits: Limits): boolean {
  return hasBudget(limits) || limits.tpm !== null;
}
