import type { LogLevel } from '../log/index.ts';

/** Which wire protocol an upstream speaks; decides auth headers and which routes it serves. */
export type ApiFamily = 'openai' | 'anthropic';

export interface UpstreamConfig {
  readonly name: string;
  readonly family: ApiFamily;
  /** The API root, `/v1` included: request paths below `/v1` are appended to it. */
  readonly baseUrl: URL;
  readonly apiKey: string | undefined;
  /** Model name patterns (`*` wildcard) this upstream serves; `undefined` serves every model. */
  readonly models: readonly string[] | undefined;
  /** Extra headers for every request to this upstream (e.g. `OpenAI-Organization`). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface EgressConfig {
  readonly httpProxy: string | undefined;
  readonly httpsProxy: string | undefined;
  readonly allProxy: string | undefined;
  readonly noProxy: string;
}

export interface Timeouts {
  readonly connectMs: number;
  /** From request sent to response headers. */
  readonly firstByteMs: number;
  /** Longest silence between two body chunks. */
  readonly idleMs: number;
  /** Whole request, first byte to last. */
  readonly totalMs: number;
}

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly adminKey: string | undefined;
  readonly upstreams: readonly UpstreamConfig[];
  readonly egress: EgressConfig;
  readonly timeouts: Timeouts;
  /** Interval of `: keepalive` comments during silences, including before the first byte. */
  readonly keepaliveMs: number;
  readonly maxBodyBytes: number;
  /** How long SIGTERM waits for open streams before cutting them. */
  readonly drainMs: number;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
}
