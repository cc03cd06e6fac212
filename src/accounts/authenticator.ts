/**
 * Who is calling. The gateway asks an `Authenticator`; today the only one knows the bootstrap
 * admin key (`SLUICE_ADMIN_KEY`), the key store of the accounts module plugs in behind the same
 * interface.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AuthenticationError } from '../errors/index.ts';

export type Principal = { readonly kind: 'admin'; readonly keyPrefix: string };

export interface Authenticator {
  /** The principal behind a credential; throws `AuthenticationError` (401) otherwise. */
  authenticate(credential: string | undefined): Promise<Principal>;
}

/** `Authorization: Bearer …`, or `x-api-key` as Anthropic clients send it. */
export function credentialOf(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined;
}

/** A visible, harmless part of a key for logs and records: `sk-sluice-ab12…`. */
export function keyPrefix(key: string): string {
  return key.slice(0, Math.min(14, Math.max(4, key.length - 8)));
}

export class AdminKeyAuthenticator implements Authenticator {
  readonly #digest: Buffer | undefined;
  readonly #prefix: string;

  constructor(adminKey: string | undefined) {
    this.#digest = adminKey === undefined ? undefined : sha256(adminKey);
    this.#prefix = adminKey === undefined ? '' : keyPrefix(adminKey);
  }

  authenticate(credential: string | undefined): Promise<Principal> {
    if (credential === undefined) {
      return Promise.reject(
        new AuthenticationError(
          'You did not provide an API key. Send it as "Authorization: Bearer <key>" (or "x-api-key: <key>").',
        ),
      );
    }
    // Compare digests so neither the length nor the content leaks through timing.
    if (this.#digest !== undefined && timingSafeEqual(sha256(credential), this.#digest)) {
      return Promise.resolve({ kind: 'admin', keyPrefix: this.#prefix });
    }
    return Promise.reject(
      new AuthenticationError(
        this.#digest === undefined
          ? 'Incorrect API key provided. This Sluice has no keys yet: set SLUICE_ADMIN_KEY to create the bootstrap key.'
          : 'Incorrect API key provided.',
      ),
    );
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
