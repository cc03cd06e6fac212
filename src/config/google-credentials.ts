/**
 * Google credentials for Vertex AI, read once with the config: what Sluice needs to get OAuth
 * access tokens (`upstream/google-tokens.ts`). `googleCredentials` names a file — a service
 * account key (`gcloud iam service-accounts keys create`) or a user's (`gcloud auth
 * application-default login`) — or says `"default"`: Application Default Credentials, found as
 * Google's libraries find them (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's file, then the
 * metadata server of GCE, GKE with workload identity, Cloud Run). Problems name the file and the
 * field, never a key.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpUrl, nonEmpty } from './read.ts';
import type { Env } from './values.ts';

export interface GoogleServiceAccount {
  /** The file it was read from, for messages. */
  readonly file: string;
  readonly clientEmail: string;
  readonly privateKey: KeyObject;
  /** Where tokens are minted: `https://oauth2.googleapis.com/token`. */
  readonly tokenUri: URL;
}

/** A user's refresh token (`gcloud auth application-default login`). */
export interface GoogleUser {
  readonly file: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  readonly tokenUri: URL;
}

export type GoogleCredentials =
  | ({ readonly kind: 'service-account' } & GoogleServiceAccount)
  | ({ readonly kind: 'user' } & GoogleUser)
  /** The metadata server: `http://metadata.google.internal`, or `GCE_METADATA_HOST`'s. */
  | { readonly kind: 'metadata'; readonly host: URL };

const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';

/** The credentials `value` names (a file, or `"default"`), or undefined with the reason. */
export function readGoogleCredentials(
  value: string,
  env: Env,
  where: string,
  problems: string[],
): GoogleCredentials | undefined {
  if (value !== 'default') return readCredentialsFile(value, where, problems);
  const named = nonEmpty(env['GOOGLE_APPLICATION_CREDENTIALS']);
  if (named !== undefined) return readCredentialsFile(named, where, problems);
  const home = nonEmpty(env['HOME']);
  const gcloud =
    home === undefined
      ? undefined
      : join(home, '.config', 'gcloud', 'application_default_credentials.json');
  if (gcloud !== undefined && existsSync(gcloud))
    return readCredentialsFile(gcloud, where, problems);
  const host = httpUrl(
    `http://${nonEmpty(env['GCE_METADATA_HOST']) ?? 'metadata.google.internal'}`,
    'GCE_METADATA_HOST',
    where,
    problems,
  );
  return host === undefined ? undefined : { kind: 'metadata', host };
}

/** A service account's key or a user's credentials, by the file's `type`. */
function readCredentialsFile(
  file: string,
  where: string,
  problems: string[],
): GoogleCredentials | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? 'it is not JSON'
        : ((error as NodeJS.ErrnoException).code ?? String(error));
    problems.push(`${where}: cannot read the Google credentials ${file}: ${reason}.`);
    return undefined;
  }
  const json = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  if (json.type === 'authorized_user') {
    const { client_id: id, client_secret: secret, refresh_token: refresh } = json;
    const tokenUri = tokenUriOf(json.token_uri);
    if (typeof id !== 'string' || typeof secret !== 'string' || typeof refresh !== 'string') {
      problems.push(
        `${where}: ${file} is a user's credentials without "client_id", "client_secret" and "refresh_token".`,
      );
      return undefined;
    }
    if (tokenUri === undefined) {
      problems.push(`${where}: ${file}'s "token_uri" is not an https URL.`);
      return undefined;
    }
    return {
      kind: 'user',
      file,
      clientId: id,
      clientSecret: secret,
      refreshToken: refresh,
      tokenUri,
    };
  }
  if (json.type === 'external_account') {
    problems.push(
      `${where}: ${file} is a workload identity federation file, which Sluice does not read; on GKE or Cloud Run, "default" uses the metadata server.`,
    );
    return undefined;
  }
  const account = accountOf(json);
  if (typeof account === 'string') {
    problems.push(`${where}: ${file} is not a Google service account key: ${account}.`);
    return undefined;
  }
  return { kind: 'service-account', file, ...account };
}

/** The account's parts, or what is wrong with it. */
function accountOf(key: Record<string, unknown>): Omit<GoogleServiceAccount, 'file'> | string {
  if (key.type !== 'service_account') return 'its "type" is not "service_account"';
  if (typeof key.client_email !== 'string' || key.client_email === '')
    return 'it has no "client_email"';
  if (typeof key.private_key !== 'string') return 'it has no "private_key"';
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key.private_key);
  } catch {
    return 'its "private_key" is not a PEM private key';
  }
  if (privateKey.asymmetricKeyType !== 'rsa') return 'its "private_key" is not an RSA key';
  const tokenUri = tokenUriOf(key.token_uri);
  if (tokenUri === undefined)
    return 'its "token_uri" is not an https URL (http only on a loopback address)';
  return { clientEmail: key.client_email, privateKey, tokenUri };
}

/** https, or http to this machine (a test's token server); nothing else gets the assertion. */
function tokenUriOf(value: unknown): URL | undefined {
  let url: URL;
  try {
    url = new URL(typeof value === 'string' ? value : DEFAULT_TOKEN_URI);
  } catch {
    return undefined;
  }
  if (url.protocol === 'https:') return url;
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  return url.protocol === 'http:' && loopback ? url : undefined;
}
