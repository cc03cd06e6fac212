/**
 * The one logger: JSON lines on stderr (stdout belongs to CLI output), one object per record,
 * fields merged from the logger's context. Nothing is logged per streamed event, and the lines
 * of one turn of the event loop go out in one write: stderr is synchronous, and a write per
 * request line was a tenth of a busy gateway's CPU.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

export interface LogSink {
  write(line: string): unknown;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Collects lines and writes them together once the current turn of the event loop is done. */
export function batchedSink(target: { write(text: string): unknown }): LogSink & { flush(): void } {
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    target.write(text);
  };
  process.on('exit', flush);
  return {
    write(line: string) {
      pending += line;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

let stderrSink: (LogSink & { flush(): void }) | undefined;

export function createLogger(
  level: LogLevel,
  sink: LogSink = (stderrSink ??= batchedSink(process.stderr)),
  context: Fields = {},
): Logger {
  const min = rank[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Fields): void => {
    if (rank[lvl] < min) return;
    const record = { time: new Date().toISOString(), level: lvl, msg, ...context, ...fields };
    sink.write(JSON.stringify(record, replaceErrors) + '\n');
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
    child: (fields) => createLogger(level, sink, { ...context, ...fields }),
  };
}

function replaceErrors(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      ...(code === undefined ? {} : { code }),
      ...(value.cause === undefined ? {} : { cause: value.cause }),
    };
  }
  return value;
}
