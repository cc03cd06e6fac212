import type { LogFormat, LogLevel } from '../log/index.ts';
import type { AwsCredentialSource } from './aws-credentials.ts';
import type { AzureTokenSource } from './azure-credentials.ts';
import type { GoogleCredentials } from './google-credentials.ts';
import type { PriceTable } from './prices.ts';
import type { Limits } from '../store/types.ts';
import type { MetricsConfig, TracesConfig } from './telemetry.ts';

/** Which wire protocol an upstream speaks; decides auth headers and which routes it serves. */
export type ApiFamily = 'openai' | 'anthropic';

/** Amazon Bedrock: Claude through its runtime API, requests signed with AWS credentials. */
export interface BedrockSettings {
  readonly region: string;
  /** What requests are signed with; undefined with Bedrock API keys, sent as bearer tokens. */
  readonly credentials: AwsCredentialSource | undefined;
}

/** Azure OpenAI: requests go to `/openai/deployments/<deployment>/…?api-version=…`. */
export interface AzureSettings {
  readonly apiVersion: string;
  /** Model name → deployment name; a model without an entry is its own deployment name. */
  readonly deployments: Readonly<Record<string, string>>;
  /** Microsoft Entra ID tokens instead of an API key (an entry with none). */
  readonly entra: AzureTokenSource | undefined;
}

export interface UpstreamConfig {
  readonly name: string;
  /** The wire protocol: Azure OpenAI speaks `openai` (with `azure` set). */
  readonly family: ApiFamily;
  /** The API root (`/v1` included; Azure: the resource origin): request paths are appended. */
  readonly baseUrl: URL;
  /** Its keys, each with its own health; none for a server that needs no key. */
  readonly apiKeys: readonly string[];
  /** Vertex AI: a service account whose OAuth tokens authenticate instead of keys. */
  readonly googleCredentials: GoogleCredentials | undefined;
  /** Amazon Bedrock: its region and the credentials requests are signed with. */
  readonly bedrock: BedrockSettings | undefined;
  /** Model name patterns (`*` wildcard) this upstream serves; `undefined` serves every model. */
  readonly models: readonly string[] | undefined;
  /** Extra headers for every request to this upstream (e.g. `OpenAI-Organization`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Lower is tried first. */
  readonly priority: number;
  /** Share of requests among upstreams of one priority. */
  readonly weight: number;
  /** Its own way out: a proxy URL, `none` (direct), or undefined (the environment's). */
  readonly proxy: string | undefined;
  /** Model names clients may use for models of this upstream: `{"fast": "gpt-4.1-mini"}`. */
  readonly aliases: Readonly<Record<string, string>>;
  readonly azure: AzureSettings | undefined;
  /**
   * It serves the Responses API (`/v1/responses`); `false` (`"responses": false`): Chat
   * Completions only, and Responses requests for its models are translated.
   */
  readonly responses: boolean;
  /**
   * Tell the provider which of Sluice's users asked (`safety_identifier`, Anthropic's
   * `metadata.user_id`): by default for OpenAI's and Anthropic's own APIs, whose abuse checks
   * then act on the user rather than the whole account; an upstream that refuses fields it
   * does not know (Google's) must not get them.
   */
  readonly endUsers: boolean;
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
  /**
   * Processes serving the port (`SLUICE_WORKERS`, `auto` resolved to the cores): 1 is one
   * process; more is a primary that supervises that many workers (`server/cluster-primary.ts`).
   */
  readonly workers: number;
  /** Interval of `: keepalive` comments during silences, including before the first byte. */
  readonly keepaliveMs: number;
  readonly maxBodyBytes: number;
  /** A request body that does not start, or stalls, this long gets a 408 (`SLUICE_BODY_TIMEOUT`). */
  readonly bodyTimeoutMs: number;
  /** Memory all request bodies in flight may hold together (`SLUICE_MAX_BODY_INFLIGHT`). */
  readonly maxBodyInflightBytes: number;
  /** How long SIGTERM waits for open streams before cutting them. */
  readonly drainMs: number;
  readonly dataDir: string;
  /** `postgres://…`: the store is PostgreSQL; otherwise SQLite under `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** `redis://…`: limit counters shared by every instance; otherwise in memory. */
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
  /** Peers whose `X-Forwarded-For` is believed (addresses or CIDR ranges). */
  readonly trustedProxies: readonly string[];
  /**
   * Web origins that may call `/v1` from a browser (`SLUICE_CORS_ORIGINS`): `*` any, or these
   * (none when empty).
   */
  readonly corsOrigins: '*' | readonly string[];
  /** USD per million tokens by model pattern: the config file's entries first, then defaults. */
  readonly prices: PriceTable;
  /** Limits given to new keys and users that are created without their own. */
  readonly defaultLimits: { readonly key: Limits; readonly user: Limits };
  readonly logLevel: LogLevel;
  /** `pretty` or `json`; undefined: pretty on a terminal, JSON otherwise. */
  readonly logFormat: LogFormat | undefined;
  readonly metrics: MetricsConfig;
  readonly traces: TracesConfig;
  /** When an upstream or key is skipped as broken (`upstream/health.ts`). */
  readonly breaker: { readonly failures: number; readonly cooldownMs: number };
}
