/**
 * Which of Sluice's users asked, as the provider is told it. Every user of Sluice is one
 * account to the provider: without an end-user identifier its abuse checks can only act on
 * the whole account, and the identifier a client sends (`safety_identifier`, the older `user`,
 * Anthropic's `metadata.user_id`) could name anyone — another user's, to have them blocked. So
 * the provider gets the caller's own: `sluice-<user id>` when the client sent none, and
 * `sluice-<user id>-<hash of the client's>` when it did, so an app's own end users stay apart
 * and one Sluice user cannot speak for another. Only for upstreams that take the fields
 * (`Upstream.endUsers`); a translated request gets them in the upstream's dialect.
 */
import { createHash } from 'node:crypto';
import { isObject } from '../dialects/index.ts';
import { ownUtf8, parseJsonObject } from '../http/index.ts';

/** Where each upstream path keeps the end user. */
const FIELDS: ReadonlyMap<string, 'safety_identifier' | 'metadata'> = new Map([
  ['/v1/chat/completions', 'safety_identifier'],
  ['/v1/responses', 'safety_identifier'],
  ['/v1/messages', 'metadata'],
]);

/** The keys, per field, whose presence needs the body read rather than written in front of. */
const CLIENT_SAID = {
  safety_identifier: [Buffer.from('"safety_identifier":'), Buffer.from('"user":')],
  metadata: [Buffer.from('"metadata":')],
};

/** `body` (JSON Sluice wrote, for upstream `path`) with the caller as its end user. */
export function withEndUser(body: Buffer, path: string, caller: string): Buffer {
  const field = FIELDS.get(path);
  if (field === undefined || body[0] !== OPEN_BRACE) return body;
  const own = `sluice-${caller}`;
  // JSON.stringify escapes quotes inside strings, so these bytes occur only as keys: most
  // bodies have none, and get the field written in front of the rest, unread.
  if (!CLIENT_SAID[field].some((key) => body.includes(key))) {
    const value = field === 'metadata' ? { user_id: own } : own;
    return Buffer.concat([ownUtf8(`{"${field}":${JSON.stringify(value)},`), body.subarray(1)]);
  }
  const json = parseJsonObject(body);
  const scoped = (value: unknown): string =>
    typeof value === 'string' && value !== ''
      ? `${own}-${createHash('sha256').update(value).digest('hex').slice(0, 16)}`
      : own;
  if (field === 'metadata') {
    const metadata = isObject(json.metadata) ? json.metadata : {};
    json.metadata = { ...metadata, user_id: scoped(metadata.user_id) };
  } else {
    json.safety_identifier = scoped(json.safety_identifier);
    if (typeof json.user === 'string') json.user = scoped(json.user);
  }
  return ownUtf8(JSON.stringify(json));
}

const OPEN_BRACE = 0x7b;
