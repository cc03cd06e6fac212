/**
 * The ids of the provider account behind Sluice's key, as providers quote them in their error
 * messages, shown as `(hidden)`: OpenAI's organization and project (`Rate limit reached for
 * gpt-4o in organization org-… on tokens per min`), Anthropic's organization (`would exceed the
 * rate limit for your organization (4a7c…) of 30,000 input tokens per minute`). The account is
 * the operator's, not its users': error answers and in-band error events lose them on their way
 * to the client; the response headers naming it are kept back too (`headers.ts`). A fine-tuned
 * model's `owned_by` in `/v1/models` names the provider user or organization that trained it.
 */
import { isObject } from '../dialects/index.ts';

const OPENAI_ACCOUNT_ID = /\b(?:org-|proj_)[A-Za-z0-9]{8,}\b/g;
/** Only in parentheses after "organization": a UUID elsewhere is anything (a request's id). */
const ANTHROPIC_ORGANIZATION_ID =
  /(?<=organization(?:'s)? \()[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=\))/gi;

/** `text` without them (the same string when it names none). */
export function hideAccountIds(text: string): string {
  return text.replace(OPENAI_ACCOUNT_ID, '(hidden)').replace(ANTHROPIC_ORGANIZATION_ID, 'hidden');
}

/** `body` without them: the same Buffer when it names none. */
export function withoutAccountIds(body: Buffer): Buffer {
  const text = body.toString('utf8');
  const hidden = hideAccountIds(text);
  return hidden === text ? body : Buffer.from(hidden);
}

/** `owned_by` of a model the account trained: `user-…` or `org-…`, never a provider's name. */
const ACCOUNT_OWNER = /^(?:user|org)-[A-Za-z0-9]{8,}$/;

/** A model list entry (or one model) whose owner is the account, shown as `(hidden)`. */
export function withoutOwner(model: Record<string, unknown>): Record<string, unknown> {
  return typeof model.owned_by === 'string' && ACCOUNT_OWNER.test(model.owned_by)
    ? { ...model, owned_by: '(hidden)' }
    : model;
}

/** `/v1/models` or `/v1/models/{id}` as the upstream answered, its owners hidden. */
export function withoutModelOwners(body: Buffer): Buffer {
  if (!body.includes('"user-') && !body.includes('"org-')) return body;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return body; // not a model list: nothing of the account's to find in it
  }
  if (!isObject(json)) return body;
  const data: unknown[] | undefined = Array.isArray(json.data) ? json.data : undefined;
  const entries = data?.map((m) => (isObject(m) ? withoutOwner(m) : m));
  const shown = entries === undefined ? withoutOwner(json) : { ...json, data: entries };
  // `withoutOwner` hands back the same entry when it names no owner of the account's.
  const changed = entries === undefined ? shown !== json : entries.some((m, i) => m !== data?.[i]);
  return changed ? Buffer.from(JSON.stringify(shown)) : body;
}
