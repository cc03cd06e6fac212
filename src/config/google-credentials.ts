/**
 * A Google service account key (the JSON file `gcloud iam service-accounts keys create` writes),
 * read once with the config: what Sluice needs to mint OAuth access tokens for Vertex AI
 * (`upstream/google-tokens.ts`). Its problems name the file and the field, never the key.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface GoogleServiceAccount {
  /** The file it was read from, for messages. */
  readonly file: string;
  readonly clientEmail: string;
  readonly privateKey: KeyObject;
  /** Where tokens are minted: `https://oauth2.googleapis.com/token`. */
  readonly tokenUri: URL;
}

const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';

/** The key in `file`, or undefined with the reason in `problems`. */
export function readServiceAccount(
  file: string,
  where: string,
  problems: string[],
): GoogleServiceAccount | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? 'it is not JSON'
        : ((error as NodeJS.ErrnoException).code ?? String(error));
    problems.push(`${where}: cannot read the service account key ${file}: ${reason}.`);
    return undefined;
  }
  const key = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  const read = accountOf(key);
  if (typeof read === 'string') {
    problems.push(`${where}: ${file} is not a Google service account key: ${read}.`);
    return undefined;
  }
  return { file, ...read };
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
