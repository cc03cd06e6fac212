/**
 * The counters could not be consulted (Redis unreachable, timed out, or answered nonsense).
 * Admitting anyway would let a limit go unenforced, so `admit` throws this and the caller answers
 * 503; `cause` keeps the client library's own error for the log.
 */
export class CountersUnavailableError extends Error {
  override readonly name = 'CountersUnavailableError';
}
