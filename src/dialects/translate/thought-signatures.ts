/**
 * Gemini 3 signs each function call it makes (`extra_content.google.thought_signature` on a
 * tool call, in Google's OpenAI-compatible API) and refuses the next turn — 400 "Function call
 * is missing a thought_signature" — unless the call comes back with its signature. A Messages
 * `tool_use` block or a Responses `function_call` has no field for it, so it rides in the
 * call's id: the one field every client sends back untouched, on the call and on its result.
 * `<id>_gsig_` then `b` and Google's base64 as base64url, or `t` and any other text as base64url
 * — inside the alphabet Anthropic allows for ids (`[a-zA-Z0-9_-]`). Going back to Chat
 * Completions the id is the provider's again and the signature is where Google reads it.
 */
import { type JsonObject, asString, isObject } from './json.ts';

const MARK = '_gsig_';

/** The id a translated call is given: the provider's, carrying the call's signature if any. */
export function signedCallId(id: string, call: JsonObject): string {
  const extra = isObject(call.extra_content) ? call.extra_content : {};
  const signature = isObject(extra.google) ? asString(extra.google.thought_signature) : undefined;
  if (!signature) return id;
  const url = signature.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  return fromBase64Url('b', url) === signature
    ? `${id}${MARK}b${url}`
    : `${id}${MARK}t${Buffer.from(signature).toString('base64url')}`;
}

/** The provider's id of a call a client sent back, and the Chat Completions fields it carried. */
export function unsignedCall(id: string): { readonly id: string; readonly extra: JsonObject } {
  const at = id.lastIndexOf(MARK);
  const signature =
    at === -1 ? undefined : fromBase64Url(id[at + MARK.length], id.slice(at + MARK.length + 1));
  if (signature === undefined) return { id, extra: {} };
  return {
    id: id.slice(0, at),
    extra: { extra_content: { google: { thought_signature: signature } } },
  };
}

function fromBase64Url(form: string | undefined, url: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(url)) return undefined;
  if (form === 't') return Buffer.from(url, 'base64url').toString();
  if (form !== 'b') return undefined;
  const base64 = url.replaceAll('-', '+').replaceAll('_', '/');
  return base64.padEnd(Math.ceil(base64.length / 4) * 4, '=');
}
