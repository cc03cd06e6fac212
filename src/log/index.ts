export { createLogger, type Logger, type LogLevel, LOG_LEVELS } from './logger.ts';
