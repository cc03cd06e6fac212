/**
 * Log records as a person reads them: `12:00:01.250 INFO  request POST /v1/chat/completions 200
 * 812ms request_id=req_… key=sk-…ab12 model=gpt-4o ttft=313ms end=done`. The time is local
 * wall-clock (the JSON keeps the full ISO instant); empty fields are left out; an error is its
 * name, message and code.
 */
import { errorFields } from './error-fields.ts';
import { escapeInvisible, hasInvisible } from './escape.ts';

type Fields = Record<string, unknown>;

const LEVEL_TEXT: Record<string, string> = {
  debug: 'DEBUG',
  info: 'INFO ',
  warn: 'WARN ',
  error: 'ERROR',
};
const LEVEL_COLOUR: Record<string, string> = {
  debug: '\x1b[2m',
  info: '\x1b[36m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** Fields shown bare, in this order, right after the message (a request line's shape). */
const LEAD = new Set(['method', 'path', 'status', 'ms']);
/** Durations in ms shown shortened: `ttft=313ms`. */
const SHORT_NAMES: Record<string, string> = {
  client_ttfb_ms: 'ttfb',
  client_ttft_ms: 'ttft',
  max_gap_ms: 'max_gap',
};

export function prettyLine(record: Fields, colour: boolean): string {
  const { time, level, msg, method, path, status, ms } = record;
  const lvl = typeof level === 'string' ? level : 'info';
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const parts: string[] = [
    colour ? `${DIM}${clock}${RESET}` : clock,
    colour
      ? `${LEVEL_COLOUR[lvl] ?? ''}${LEVEL_TEXT[lvl] ?? lvl}${RESET}`
      : (LEVEL_TEXT[lvl] ?? lvl),
    typeof msg === 'string' ? msg : '',
  ];
  for (const value of [method, path, status]) if (value != null) parts.push(text(value));
  if (typeof ms === 'number') parts.push(`${ms}ms`);
  for (const [name, value] of Object.entries(record)) {
    if (name === 'time' || name === 'level' || name === 'msg' || LEAD.has(name)) continue;
    if (value === undefined || value === null || value === '') continue;
    const short = SHORT_NAMES[name];
    const [key, shown] =
      short !== undefined && typeof value === 'number'
        ? [short, `${Math.round(value)}ms`]
        : [name, text(value)];
    parts.push(colour ? `${DIM}${key}=${RESET}${shown}` : `${key}=${shown}`);
  }
  return parts.join(' ');
}

/** A value as one token: bare when it has no spaces or quotes, JSON-quoted otherwise. */
function text(value: unknown): string {
  if (value instanceof Error) return quoted(errorText(value));
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return escapeInvisible(
    JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? errorFields(v) : v)),
  );
}

function errorText(error: Error): string {
  const code = (error as { code?: unknown }).code;
  const own = `${error.name}: ${error.message}${code === undefined ? '' : ` (${text(code)})`}`;
  return error.cause instanceof Error ? `${own}; cause: ${errorText(error.cause)}` : own;
}

function quoted(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[^\s"=\x00-\x1f\x7f]+$/.test(value) && !hasInvisible(value)
    ? value
    : escapeInvisible(JSON.stringify(value));
}
