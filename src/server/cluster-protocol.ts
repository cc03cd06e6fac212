/** What the primary and its workers say to each other (`cluster-channel.ts`), by name and shape. */

/** Calls, each answered. */
export const CALLS = {
  /** worker → primary, first: which place it takes and what to run. Answer: `Seat`. */
  seat: 'seat',
  /** worker → primary: a `CountersCall` for the counters the primary holds. */
  counters: 'counters',
  /** worker → primary: a `SignInCall` for the sign-in throttle the primary holds. */
  signIn: 'sign-in',
  /** worker → primary: `/metrics` of every worker together. Answer: an `Exposition`. */
  metrics: 'metrics',
  /** primary → worker: its metrics as values. Answer: a `MetricsSnapshot`. */
  snapshot: 'snapshot',
} as const;

/** Notices, not answered. */
export const NOTICES = {
  /** worker → primary: it serves. Body: `WorkerListening`. */
  listening: 'listening',
  /** primary → worker: apply this configuration (SIGHUP). Body: `ReloadOrder`. */
  reload: 'reload',
  /** primary → worker: stop accepting, finish open streams, exit (SIGTERM). */
  drain: 'drain',
} as const;

export interface Seat {
  /** 1 to N; a replacement takes the place of the worker it replaces. */
  readonly slot: number;
  /**
   * The config file's text as the primary read and validated it (null: no file), so every
   * worker — one started after a reload too — runs exactly the configuration the primary holds.
   */
  readonly configText: string | null;
  /** Resolved by the primary, whose stderr is the terminal (the workers' is a pipe to it). */
  readonly logFormat: 'pretty' | 'json';
}

export interface ReloadOrder {
  readonly configText: string | null;
}

export interface WorkerListening {
  readonly url: string;
  readonly instance: string;
  readonly pid: number;
}
