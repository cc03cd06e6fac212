import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type {
  ApiFamily,
  AwsCredentialSource,
  AzureTokenSource,
  Config,
  GoogleCredentials,
  UpstreamConfig,
} from '../config/index.ts';
import type { Bedrock } from './bedrock.ts';
import type { Dispatchers } from './dispatchers.ts';
import { chooseEgress, type Egress } from './egress.ts';
import { DEFAULT_BREAKER, Health, type BreakerOptions } from './health.ts';
import { awsCredentials, describeAwsSource } from './aws-credentials.ts';
import { azureTokens, describeAzureSource } from './azure-tokens.ts';
import type { CredentialWays } from './small-answer.ts';
import { describeGoogleCredentials, GoogleTokens } from './google-tokens.ts';
import { FAMILY_HEADERS, type Upstream, type UpstreamKey } from './upstreams.ts';

/**
 * The health of every upstream and key, by a name that survives a reload (SIGHUP): an upstream
 * by its name, a key by its upstream and a fingerprint of the key, so a broken key stays
 * known as broken when the file is re-read, whatever order its keys are listed in.
 */
export class HealthRegistry {
  readonly #byId = new Map<string, Health>();
  readonly #options: BreakerOptions;

  constructor(options: Partial<BreakerOptions> = {}) {
    this.#options = { ...DEFAULT_BREAKER, now: Date.now, ...options };
  }

  get(id: string): Health {
    let health = this.#byId.get(id);
    if (health === undefined) {
      health = new Health(this.#options);
      this.#byId.set(id, health);
    }
    return health;
  }
}

/**
 * What was minted for an upstream's credentials (a Vertex token, temporary AWS keys), by the
 * upstream and the credentials: kept by one Sluice for every build of the same ones, so that a
 * reload (SIGHUP) keeps it instead of minting again; other credentials mint.
 */
export type MintedByCredentials = Map<string, object>;

/** The configured upstreams, each bound to the dispatcher of its way out. */
export function buildUpstreams(
  config: Pick<Config, 'upstreams' | 'egress'>,
  dispatchers: Dispatchers,
  health: HealthRegistry,
  minted: MintedByCredentials = new Map(),
): Upstream[] {
  return config.upstreams.map((u) => buildUpstream(u, dispatchers, config, health, minted));
}

function buildUpstream(
  u: UpstreamConfig,
  dispatchers: Dispatchers,
  config: Pick<Config, 'egress'>,
  health: HealthRegistry,
  minted: MintedByCredentials,
): Upstream {
  const scheme =
    FAMILY_HEADERS[
      u.azure !== undefined ? 'azure' : u.bedrock !== undefined ? 'bedrock' : u.family
    ];
  const path = u.baseUrl.pathname.replace(/\/+$/, '');
  const egress = egressOf(u, config);
  const dispatcher = dispatchers.for(egress);
  const google = u.googleCredentials;
  const entra = u.azure?.entra;
  const keys: UpstreamKey[] =
    entra !== undefined
      ? [entraKey(u.name, entra, dispatchers, dispatcher, health, minted)]
      : google !== undefined
        ? [
            {
              id: u.name,
              headers: {},
              ...tokensOf(u.name, google, dispatchers, dispatcher, minted),
              health: health.get(`${u.name}:google:${describeGoogleCredentials(google)}`),
            },
          ]
        : u.apiKeys.length === 0
          ? [{ id: u.name, headers: {}, health: health.get(`${u.name}:none`) }]
          : u.apiKeys.map((key, i) => ({
              id: u.apiKeys.length === 1 ? u.name : `${u.name}#${i + 1}`,
              headers: scheme.auth(key),
              health: health.get(`${u.name}:${fingerprint(key)}`),
            }));
  return {
    name: u.name,
    family: u.family,
    origin: u.baseUrl.origin,
    basePath: u.azure === undefined || path.endsWith('/openai') ? path : `${path}/openai`,
    dispatcher,
    proxied: egress.kind !== 'direct',
    headers: Object.fromEntries(Object.entries(u.headers).map(([k, v]) => [k.toLowerCase(), v])),
    defaultHeaders: FAMILY_HEADERS[u.family].defaults,
    keys,
    models: u.models,
    aliases: u.aliases,
    priority: u.priority,
    weight: u.weight,
    azure: u.azure,
    vertexClaude: u.family === 'anthropic' && google !== undefined,
    bedrock:
      u.bedrock === undefined
        ? undefined
        : {
            region: u.bedrock.region,
            ...bedrockCredentials(u.name, u.bedrock.credentials, dispatchers, dispatcher, minted),
          },
    servesResponses: u.responses,
    endUsers: u.endUsers,
    health: health.get(u.name),
    turn: { current: 0, key: 0 },
    load: { inFlight: 0 },
    demo: false,
  };
}

/** How a Bedrock upstream's requests are signed, and what the log says of it. */
function bedrockCredentials(
  upstream: string,
  source: AwsCredentialSource | undefined,
  dispatchers: Dispatchers,
  egress: Dispatcher,
  minted: MintedByCredentials,
): Pick<Bedrock, 'source' | 'credentials'> {
  if (source === undefined) return { source: 'Bedrock API keys', credentials: undefined };
  const described = describeAwsSource(source);
  return {
    source: described,
    credentials: awsCredentials(
      source,
      waysOf(upstream, dispatchers, egress),
      heldFor(minted, `aws\n${upstream}\n${described}`),
    ),
  };
}

/** Azure OpenAI's one "key" without an API key: Entra ID tokens, as a bearer token. */
function entraKey(
  upstream: string,
  source: AzureTokenSource,
  dispatchers: Dispatchers,
  egress: Dispatcher,
  health: HealthRegistry,
  minted: MintedByCredentials,
): UpstreamKey {
  const described = describeAzureSource(source);
  return {
    id: upstream,
    headers: {},
    token: azureTokens(
      source,
      waysOf(upstream, dispatchers, egress),
      heldFor(minted, `entra\n${upstream}\n${described}`),
    ),
    health: health.get(`${upstream}:entra:${described}`),
  };
}

/** Google's tokens, kept by upstream and credentials (a service account's by its key: a new key mints). */
function tokensOf(
  upstream: string,
  credentials: GoogleCredentials,
  dispatchers: Dispatchers,
  egress: Dispatcher,
  minted: MintedByCredentials,
): Pick<UpstreamKey, 'token'> {
  const key =
    credentials.kind === 'service-account'
      ? `\n${credentials.tokenUri.href}\n${fingerprint(credentials.privateKey.export({ type: 'pkcs8', format: 'der' }))}`
      : credentials.kind === 'user'
        ? `\n${fingerprint(credentials.refreshToken)}`
        : '';
  const id = `google\n${upstream}\n${describeGoogleCredentials(credentials)}${key}`;
  const tokens = new GoogleTokens(
    credentials,
    waysOf(upstream, dispatchers, egress),
    heldFor(minted, id),
  );
  return { token: () => tokens.token() };
}

/** How an upstream reaches its credential endpoints. */
function waysOf(upstream: string, dispatchers: Dispatchers, egress: Dispatcher): CredentialWays {
  return { upstream, direct: dispatchers.for({ kind: 'direct' }), egress };
}

/** The place kept for `id`, made empty on first use (a `Held` of whatever its credentials mint). */
function heldFor(minted: MintedByCredentials, id: string): object {
  let found = minted.get(id);
  if (found === undefined) {
    found = {};
    minted.set(id, found);
  }
  return found;
}

/** The upstream's own proxy when it has one, else the environment's rules for its host. */
function egressOf(u: UpstreamConfig, config: Pick<Config, 'egress'>): Egress {
  if (u.proxy === 'none') return { kind: 'direct' };
  if (u.proxy === undefined) return chooseEgress(u.baseUrl, config.egress);
  return /^socks5?h?:/i.test(u.proxy)
    ? { kind: 'socks5', proxy: u.proxy.replace(/^socks5?h?:/i, 'socks5:') }
    : { kind: 'http', proxy: u.proxy };
}

/** Enough of a key's hash to tell keys apart; nothing of the key. */
function fingerprint(key: string | Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** The demo model stands in for every API family that has no upstream configured. */
export function demoUpstreams(
  families: readonly ApiFamily[],
  origin: string,
  dispatchers: Dispatchers,
  health: HealthRegistry,
): Upstream[] {
  return families.map((family) => ({
    name: 'sluice-demo',
    family,
    origin,
    basePath: '/v1',
    dispatcher: dispatchers.for({ kind: 'direct' }),
    proxied: false,
    headers: {},
    defaultHeaders: FAMILY_HEADERS[family].defaults,
    keys: [{ id: 'sluice-demo', headers: {}, health: health.get(`sluice-demo:${family}:key`) }],
    models: [DEMO_MODEL],
    aliases: {},
    priority: 0,
    weight: 1,
    azure: undefined,
    vertexClaude: false,
    bedrock: undefined,
    servesResponses: true,
    endUsers: false,
    health: health.get(`sluice-demo:${family}`),
    turn: { current: 0, key: 0 },
    load: { inFlight: 0 },
    demo: true,
  }));
}

export const DEMO_MODEL = 'sluice-demo';
