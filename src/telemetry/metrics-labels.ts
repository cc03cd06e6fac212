/**
 * Label values that stay bounded whatever clients send: a label value is a time series for
 * good, so paths, model names and failures are mapped onto small, known sets. Pure.
 */
import type { AttemptReport } from '../gateway/index.ts';
import { routeOf } from '../gateway/routes.ts';
import { healthOutcomes } from '../upstream/index.ts';

/** The label of anything outside a bounded set. */
export const OTHER = 'other';

/**
 * The `route` of a `/v1` request from its path: the path itself for a model call
 * (`/v1/chat/completions`, `/v1/messages`, …) and `/v1/models`; the scope's name (`files`,
 * `batches`, the names `sluice keys create --routes` takes) for the other provider routes, whose
 * paths carry object ids; `other` for a path Sluice does not know (or could not read).
 */
export function routeLabel(endpoint: string): string {
  try {
    // The record has the path, not the method: a model call is a POST.
    if (routeOf('POST', endpoint).kind === 'inference') return endpoint;
    const route = routeOf('GET', endpoint);
    if (route.kind === 'models') return '/v1/models';
    if (route.kind === 'scoped') return route.scope;
  } catch {
    // malformed percent-encoding in an object id: a path refused as invalid
  }
  return OTHER;
}

/**
 * Why a try of an upstream counts against it, as the breakers count it: its HTTP status (`500`,
 * `429`, `401`) or how it failed without one (`unreachable`, `timeout`, `broken`). Undefined for
 * a success, the client's own mistake (other 4xx) and a client that left.
 */
export function failureReason(answer: AttemptReport['answer']): string | undefined {
  if (answer === 'cancelled') return undefined;
  if (healthOutcomes(answer, undefined).failure === undefined) return undefined;
  return typeof answer === 'number' ? String(answer) : answer;
}

/**
 * A label whose values come from outside (model names, which a wildcard upstream takes from
 * any client): the first `limit` distinct values are kept, later ones are `other`.
 */
export class LabelCap {
  readonly #seen = new Set<string>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  value(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.#limit) return OTHER;
    this.#seen.add(value);
    return value;
  }
}
