export {
  batchedSink,
  createLogger,
  type Logger,
  type LogFormat,
  type LoggerOptions,
  type LogLevel,
  type LogSink,
  LOG_LEVELS,
} from './logger.ts';
export { printable, printableLines } from './escape.ts';
