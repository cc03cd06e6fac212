/** What the doctor asks for: the probe URL or one small chat request, and how long to wait. */
import type { ChatApi } from './apis.ts';
import type { CaptureRequest } from './capture.ts';
import type { ProbeShape } from './timeline.ts';

/** Defined beside the page's entry (browser-safe); re-exported here for the CLI. */
export { DEFAULT_PROBE } from './default-probe.ts';

/** The chat request: small, cheap, and a numbered list streams as many short events. */
export const CHAT_PROMPT =
  'Count from 1 to 20 as a numbered list, one number per line, and nothing else.';
export const CHAT_MAX_TOKENS = 120;

/** Slack on top of the probe's own length for connection setup and a slow chain. */
const SLACK_MS = 30_000;
const CHAT_TIMEOUT_MS = 120_000;

const COMMON_HEADERS = {
  // As a browser asks: a compressing hop then shows itself (and its buffering, if any).
  'accept-encoding': 'gzip, br',
  'user-agent': 'sluice-doctor',
};

export function defaultTimeoutMs(probe: ProbeShape | undefined): number {
  if (probe === undefined) return CHAT_TIMEOUT_MS;
  return probe.silenceMs + probe.events * probe.intervalMs + SLACK_MS;
}

/**
 * `GET <base>/sluice/probe?…`: a base with a path keeps it (Sluice under a prefix), except a
 * trailing /v1, which is the API base users paste; the probe sits beside it.
 */
export function probeRequest(base: URL, probe: ProbeShape, timeoutMs: number): CaptureRequest {
  const root = new URL(base.href);
  root.pathname = root.pathname.replace(/\/v1\/?$/, '/');
  const url = joinPath(root, 'sluice/probe');
  url.search = new URLSearchParams({
    events: String(probe.events),
    interval_ms: String(probe.intervalMs),
    pad: String(probe.pad),
    silence_ms: String(probe.silenceMs),
  }).toString();
  return {
    url,
    mode: 'probe',
    method: 'GET',
    headers: { ...COMMON_HEADERS, accept: 'text/event-stream' },
    probe,
    timeoutMs,
  };
}

/** Anthropic's API version the Messages request names, as its SDK sends it. */
const ANTHROPIC_VERSION = '2023-06-01';

/**
 * One small streamed answer in `api`: `POST <base>/v1/chat/completions` (`/v1/messages`,
 * `/v1/responses`), or `<base>/chat/completions` when the base ends in /v1. The key goes as
 * each API's clients send it: `Authorization: Bearer`, or Anthropic's `x-api-key`.
 */
export function chatRequest(
  base: URL,
  key: string,
  model: string,
  timeoutMs: number,
  api: ChatApi = 'chat',
): CaptureRequest {
  const { path, credentials, body } = API_REQUESTS[api](key, model);
  const versioned = /\/v1\/?$/.test(base.pathname) ? path : `v1/${path}`;
  return {
    url: joinPath(base, versioned),
    mode: 'chat',
    ...(api === 'chat' ? {} : { api }),
    method: 'POST',
    headers: {
      ...COMMON_HEADERS,
      accept: 'text/event-stream',
      'content-type': 'application/json',
      ...credentials,
    },
    body: JSON.stringify(body),
    timeoutMs,
  };
}

const API_REQUESTS: Record<
  ChatApi,
  (
    key: string,
    model: string,
  ) => { path: string; credentials: Record<string, string>; body: object }
> = {
  chat: (key, model) => ({
    path: 'chat/completions',
    credentials: { authorization: `Bearer ${key}` },
    body: {
      model,
      messages: [{ role: 'user', content: CHAT_PROMPT }],
      stream: true,
      max_tokens: CHAT_MAX_TOKENS,
    },
  }),
  messages: (key, model) => ({
    path: 'messages',
    credentials: { 'x-api-key': key, 'anthropic-version': ANTHROPIC_VERSION },
    body: {
      model,
      messages: [{ role: 'user', content: CHAT_PROMPT }],
      stream: true,
      max_tokens: CHAT_MAX_TOKENS,
    },
  }),
  responses: (key, model) => ({
    path: 'responses',
    credentials: { authorization: `Bearer ${key}` },
    body: { model, input: CHAT_PROMPT, stream: true, max_output_tokens: CHAT_MAX_TOKENS },
  }),
};

function joinPath(base: URL, path: string): URL {
  const url = new URL(base.href);
  url.search = '';
  url.hash = '';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path}`;
  return url;
}
