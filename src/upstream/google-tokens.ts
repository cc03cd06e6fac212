/**
 * OAuth access tokens for Vertex AI, minted from a service account key as Google's own client
 * libraries do (RFC 7523: a JWT signed with the key, exchanged at its `token_uri`), kept until
 * five minutes before they expire, and minted once however many requests wait for one. The
 * exchange goes out the upstream's own way (its dispatcher: the same egress proxy). Neither the
 * key nor a token is ever logged; a refusal's words go to the operator's log only.
 */
import { sign } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { GoogleServiceAccount } from '../config/index.ts';
import { UpstreamAuthFailedError, UpstreamUnreachableError } from '../errors/index.ts';
import { type Held, Minted } from './minted.ts';
import { smallJson } from './small-answer.ts';

/** What Vertex AI asks of a token. */
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** An assertion's life: Google accepts at most an hour. */
const ASSERTION_SECONDS = 3_600;
const EXCHANGE_TIMEOUT_MS = 30_000;

/** Where a minted token is kept: shared by the builds of one upstream across reloads. */
export type HeldToken = Held<string>;

export class GoogleTokens {
  readonly #account: GoogleServiceAccount;
  readonly #dispatcher: Dispatcher;
  readonly #upstream: string;
  readonly #now: () => number;
  readonly #minted: Minted<string>;

  constructor(
    account: GoogleServiceAccount,
    dispatcher: Dispatcher,
    upstream: string,
    held: HeldToken = {},
    now: () => number = Date.now,
  ) {
    this.#account = account;
    this.#dispatcher = dispatcher;
    this.#upstream = upstream;
    this.#now = now;
    this.#minted = new Minted(() => this.#mint(), held, now);
  }

  /** A token valid for at least five minutes more; rejects with a SluiceError. */
  token(): Promise<string> {
    return this.#minted.get();
  }

  async #mint(): Promise<{ value: string; expiresAt: number }> {
    const issuedAt = Math.floor(this.#now() / 1000);
    const { tokenUri } = this.#account;
    let response: Dispatcher.ResponseData;
    try {
      response = await this.#dispatcher.request({
        origin: tokenUri.origin,
        path: tokenUri.pathname + tokenUri.search,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          assertion: this.#assertion(issuedAt),
        }).toString(),
        headersTimeout: EXCHANGE_TIMEOUT_MS,
        bodyTimeout: EXCHANGE_TIMEOUT_MS,
      });
    } catch (error) {
      throw new UpstreamUnreachableError(`${this.#upstream} (its token endpoint)`, error);
    }
    let answer: Record<string, unknown> | undefined;
    try {
      answer = await smallJson(response.body);
    } catch (error) {
      throw new UpstreamUnreachableError(`${this.#upstream} (its token endpoint)`, error);
    }
    const token = answer?.['access_token'];
    const expiresIn = answer?.['expires_in'];
    if (response.statusCode !== 200 || typeof token !== 'string' || token === '') {
      const words = answer?.['error_description'] ?? answer?.['error'];
      const said =
        typeof words === 'string' ? words : `HTTP ${response.statusCode}, no access_token`;
      throw new UpstreamAuthFailedError(
        this.#upstream,
        response.statusCode === 200 ? 401 : response.statusCode,
        `minting a token for ${this.#account.clientEmail} (${this.#account.file}): ${said}`,
      );
    }
    const seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : ASSERTION_SECONDS;
    return { value: token, expiresAt: issuedAt * 1000 + seconds * 1000 };
  }

  /** The signed JWT that asks for a token (RFC 7523 §2.1). */
  #assertion(issuedAt: number): string {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({
      iss: this.#account.clientEmail,
      scope: SCOPE,
      aud: this.#account.tokenUri.href,
      iat: issuedAt,
      exp: issuedAt + ASSERTION_SECONDS,
    })}`;
    const signature = sign('sha256', Buffer.from(unsigned), this.#account.privateKey);
    return `${unsigned}.${signature.toString('base64url')}`;
  }
}
