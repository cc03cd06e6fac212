export {
  batchedSink,
  createLogger,
  type Logger,
  type LogLevel,
  type LogSink,
  LOG_LEVELS,
} from './logger.ts';
