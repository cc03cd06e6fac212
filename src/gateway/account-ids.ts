/**
 * The ids of the provider account behind Sluice's key, as providers quote them in their error
 * messages, shown as `(hidden)`: OpenAI's organization and project (`Rate limit reached for
 * gpt-4o in organization org-… on tokens per min`), Anthropic's organization (`would exceed the
 * rate limit for your organization (4a7c…) of 30,000 input tokens per minute`). The account is
 * the operator's, not its users': error answers and in-band error events lose them on their way
 * to the client; the response headers naming it are kept back too (`headers.ts`).
 */

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
