/**
 * OAuth access tokens for Vertex AI, got as Google's own client libraries get them: from a
 * service account key (RFC 7523: a JWT signed with the key, exchanged at its `token_uri`), from
 * a user's refresh token (`gcloud auth application-default login`), or from the metadata server
 * (GCE, GKE with workload identity, Cloud Run). Kept until five minutes before they expire and
 * got once however many requests wait (`minted.ts`). The exchanges go out the upstream's own
 * way (its egress proxy); the metadata server is asked directly (it is on the machine's own
 * network). Neither a key nor a token is ever logged; a refusal's words go to the log only.
 */
import { sign } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { GoogleCredentials, GoogleServiceAccount } from '../config/index.ts';
import { UpstreamAuthFailedError } from '../errors/index.ts';
import { type Held, Minted } from './minted.ts';
import { askSmall, jsonObject, type SmallAsk, type CredentialWays } from './small-answer.ts';

/** What Vertex AI asks of a token. */
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** An assertion's life: Google accepts at most an hour. */
const ASSERTION_SECONDS = 3_600;
const EXCHANGE_TIMEOUT_MS = 30_000;
const METADATA_TIMEOUT_MS = 2_000;

/** Where a minted token is kept: shared by the builds of one upstream across reloads. */
export type HeldToken = Held<string>;

/** What the credentials are, for messages and the log: never a secret. */
export function describeGoogleCredentials(credentials: GoogleCredentials): string {
  switch (credentials.kind) {
    case 'service-account':
      return `service account ${credentials.clientEmail} (${credentials.file})`;
    case 'user':
      return `user credentials (${credentials.file})`;
    case 'metadata':
      return `the metadata server (${credentials.host.host})`;
  }
}

export class GoogleTokens {
  readonly #credentials: GoogleCredentials;
  readonly #how: CredentialWays;
  readonly #now: () => number;
  readonly #minted: Minted<string>;

  constructor(
    credentials: GoogleCredentials,
    how: CredentialWays,
    held: HeldToken = {},
    now: () => number = Date.now,
  ) {
    this.#credentials = credentials;
    this.#how = how;
    this.#now = now;
    this.#minted = new Minted(() => this.#mint(), held, now);
  }

  /** A token valid for at least five minutes more; rejects with a SluiceError. */
  token(): Promise<string> {
    return this.#minted.get();
  }

  #mint(): Promise<{ value: string; expiresAt: number }> {
    const c = this.#credentials;
    const issuedAt = Math.floor(this.#now() / 1000);
    if (c.kind === 'metadata') {
      const path = `/computeMetadata/v1/instance/service-accounts/default/token?scopes=${encodeURIComponent(SCOPE)}`;
      return this.#ask(this.#how.direct, issuedAt, {
        url: new URL(path, c.host),
        method: 'GET',
        headers: { 'metadata-flavor': 'Google' },
        timeoutMs: METADATA_TIMEOUT_MS,
      });
    }
    const form =
      c.kind === 'user'
        ? {
            grant_type: 'refresh_token',
            client_id: c.clientId,
            client_secret: c.clientSecret,
            refresh_token: c.refreshToken,
          }
        : {
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            assertion: assertion(c, issuedAt),
          };
    return this.#ask(this.#how.egress, issuedAt, {
      url: c.tokenUri,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      timeoutMs: EXCHANGE_TIMEOUT_MS,
    });
  }

  async #ask(
    dispatcher: Dispatcher,
    issuedAt: number,
    a: SmallAsk,
  ): Promise<{ value: string; expiresAt: number }> {
    const where = `${this.#how.upstream} (its token endpoint)`;
    const { status, text } = await askSmall(dispatcher, where, a);
    const answer = jsonObject(text);
    const token = answer?.['access_token'];
    const expiresIn = answer?.['expires_in'];
    if (status !== 200 || typeof token !== 'string' || token === '') {
      const words = answer?.['error_description'] ?? answer?.['error'];
      const said = typeof words === 'string' ? words : `HTTP ${status}, no access_token`;
      throw new UpstreamAuthFailedError(
        this.#how.upstream,
        status === 200 ? 401 : status,
        `getting a token for ${describeGoogleCredentials(this.#credentials)}: ${said}`,
      );
    }
    const seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : ASSERTION_SECONDS;
    return { value: token, expiresAt: issuedAt * 1000 + seconds * 1000 };
  }
}

/** The signed JWT that asks for a token (RFC 7523 §2.1). */
function assertion(account: GoogleServiceAccount, issuedAt: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({
    iss: account.clientEmail,
    scope: SCOPE,
    aud: account.tokenUri.href,
    iat: issuedAt,
    exp: issuedAt + ASSERTION_SECONDS,
  })}`;
  const signature = sign('sha256', Buffer.from(unsigned), account.privateKey);
  return `${unsigned}.${signature.toString('base64url')}`;
}
