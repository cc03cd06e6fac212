/**
 * The one logger: a line per record on stderr (stdout belongs to CLI output) — JSON for
 * machines, or readable text for a person at a terminal (`pretty.ts`) — with fields merged from
 * the logger's context. Nothing is logged per streamed event, and lines are written in batches:
 * stderr is synchronous, and a write per request line cost a busy gateway more CPU than
 * anything it did for the request but relaying it.
 */
import { errorFields } from './error-fields.ts';
import { escapeInvisible } from './escape.ts';
import { prettyLine } from './pretty.ts';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** `json`: one JSON object per line; `pretty`: `12:00:01.250 INFO request … key=value`. */
export type LogFormat = 'pretty' | 'json';

type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export interface LogSink {
  /** `urgent`: a warning or an error, written without waiting for the batch. */
  write(line: string, urgent?: boolean): unknown;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Longest a line waits before it is written, and how much text is written at once at most. */
const FLUSH_AFTER_MS = 50;
const FLUSH_AT_CHARS = 64 * 1024;

/**
 * Collects lines and writes them together: after at most 50 ms, sooner when 64 KiB are
 * waiting, at once for warnings and errors (`urgent`), and at exit. A request line costs a pipe
 * write and the wake-up of whatever reads it; batched, hundreds share one.
 */
export function batchedSink(target: { write(text: string): unknown }): LogSink & { flush(): void } {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (pending === '') return;
    const text = pending;
    pending = '';
    target.write(text);
  };
  process.on('exit', flush);
  return {
    write(line: string, urgent = false) {
      pending += line;
      if (urgent || pending.length >= FLUSH_AT_CHARS) flush();
      else timer ??= setTimeout(flush, FLUSH_AFTER_MS).unref();
    },
    flush,
  };
}

let stderrSink: (LogSink & { flush(): void }) | undefined;

export interface LoggerOptions {
  /** Where lines go; stderr, batched, by default. */
  readonly sink?: LogSink;
  /** `pretty` on a terminal and `json` otherwise, unless told. */
  readonly format?: LogFormat | undefined;
}

export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const sink = options.sink ?? (stderrSink ??= batchedSink(process.stderr));
  const format =
    options.format ?? (options.sink === undefined && process.stderr.isTTY ? 'pretty' : 'json');
  const line =
    format === 'json'
      ? serialize
      : (record: Fields) => prettyLine(record, options.sink === undefined && colours());
  return loggerWith(rank[level], sink, line, {});
}

function loggerWith(
  min: number,
  sink: LogSink,
  line: (record: Fields) => string,
  context: Fields,
): Logger {
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Fields): void => {
    if (rank[lvl] < min) return;
    const record: Fields = {
      time: new Date().toISOString(),
      level: lvl,
      msg,
      ...context,
      ...fields,
    };
    sink.write(line(record) + '\n', lvl === 'warn' || lvl === 'error');
  };
  return {
    debug: (msg, fields) => {
      emit('debug', msg, fields);
    },
    info: (msg, fields) => {
      emit('info', msg, fields);
    },
    warn: (msg, fields) => {
      emit('warn', msg, fields);
    },
    error: (msg, fields) => {
      emit('error', msg, fields);
    },
    child: (fields) => loggerWith(min, sink, line, { ...context, ...fields }),
  };
}

/** Colour on a terminal unless `NO_COLOR` is set (no-color.org). */
function colours(): boolean {
  return process.stderr.isTTY && (process.env.NO_COLOR ?? '') === '';
}

/**
 * JSON with errors readable (name, message, code, cause). Request lines hold only strings,
 * numbers and errors at the top level, which are converted in place; a replacer function,
 * called for every key, is used only when a field is an object that might hide one deeper.
 */
function serialize(record: Fields): string {
  for (const key in record) {
    const value = record[key];
    if (value instanceof Error) record[key] = errorFields(value);
    else if (typeof value === 'object' && value !== null)
      return escapeInvisible(JSON.stringify(record, replaceErrors));
  }
  return escapeInvisible(JSON.stringify(record));
}

function replaceErrors(_key: string, value: unknown): unknown {
  return value instanceof Error ? errorFields(value) : value;
}
