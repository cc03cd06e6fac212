/**
 * Microsoft Entra ID access tokens for Azure OpenAI, from the source the config chose
 * (`config/azure-credentials.ts`): a service principal's secret or AKS's federated token
 * exchanged at Entra's token endpoint (client credentials), or managed identity's endpoint
 * (App Service's, or the instance metadata service's — reached directly: it is link-local).
 * Kept until five minutes before they expire and fetched once however many requests wait
 * (`minted.ts`); neither secret nor token is logged, a refusal's words go to the log only.
 */
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import type { AzureTokenSource } from '../config/index.ts';
import { UpstreamAuthFailedError, UpstreamUnreachableError } from '../errors/index.ts';
import { type Held, Minted } from './minted.ts';
import { askSmall, jsonObject, type SmallAsk, type CredentialWays } from './small-answer.ts';

/** What Azure OpenAI asks of a token. */
const SCOPE = 'https://cognitiveservices.azure.com/.default';
const RESOURCE = 'https://cognitiveservices.azure.com';
const LOCAL_TIMEOUT_MS = 2_000;
const TOKEN_TIMEOUT_MS = 30_000;
/** A token that says no expiry is fetched again after this. */
const UNDATED_MS = 15 * 60_000;

/** How to get a token now, from `source`. */
export function azureTokens(
  source: AzureTokenSource,
  how: CredentialWays,
  held: Held<string> = {},
  now: () => number = Date.now,
): () => Promise<string> {
  const minted = new Minted(() => fetchToken(source, how, now), held, now);
  return () => minted.get();
}

/** What the source is, for the log: never a secret. */
export function describeAzureSource(source: AzureTokenSource): string {
  switch (source.kind) {
    case 'client-secret':
      return `Entra ID service principal ${source.clientId}`;
    case 'workload-identity':
      return `Entra ID workload identity ${source.clientId}`;
    case 'managed-identity':
      return `managed identity${source.clientId === undefined ? '' : ` ${source.clientId}`} (${source.endpoint.origin})`;
  }
}

async function fetchToken(
  source: AzureTokenSource,
  how: CredentialWays,
  now: () => number,
): Promise<{ value: string; expiresAt: number }> {
  if (source.kind === 'managed-identity') {
    const header = source.identityHeader;
    const url = new URL(source.endpoint);
    url.searchParams.set('api-version', header === undefined ? '2018-02-01' : '2019-08-01');
    url.searchParams.set('resource', RESOURCE);
    if (source.clientId !== undefined) url.searchParams.set('client_id', source.clientId);
    // Both are on this machine (App Service's on loopback, the metadata service link-local).
    return ask(how.direct, how, 'managed identity', now, {
      url,
      method: 'GET',
      headers: header === undefined ? { metadata: 'true' } : { 'x-identity-header': header },
      timeoutMs: LOCAL_TIMEOUT_MS,
    });
  }
  const form: Record<string, string> = {
    grant_type: 'client_credentials',
    client_id: source.clientId,
    scope: SCOPE,
  };
  if (source.kind === 'client-secret') form.client_secret = source.secret;
  else {
    try {
      form.client_assertion = readFileSync(source.tokenFile, 'utf8').trim();
    } catch (error) {
      throw new UpstreamUnreachableError(`${how.upstream} (its federated token file)`, error);
    }
    form.client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
  }
  return ask(how.egress, how, 'Entra ID', now, {
    url: source.tokenUrl,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
    timeoutMs: TOKEN_TIMEOUT_MS,
  });
}

async function ask(
  dispatcher: Dispatcher,
  how: CredentialWays,
  what: string,
  now: () => number,
  a: SmallAsk,
): Promise<{ value: string; expiresAt: number }> {
  const where = `${how.upstream} (${what})`;
  const { status, text } = await askSmall(dispatcher, where, a);
  const json = jsonObject(text);
  const token = json?.['access_token'];
  if (status < 200 || status >= 300 || typeof token !== 'string' || token === '') {
    if (json === undefined && status >= 200 && status < 300)
      throw new UpstreamUnreachableError(where, new Error('its answer is not a token'));
    const words = json?.['error_description'] ?? json?.['error'];
    throw new UpstreamAuthFailedError(
      how.upstream,
      status >= 400 ? status : 401,
      `${what}: ${typeof words === 'string' ? words : `HTTP ${status}, no access_token`}`,
    );
  }
  return { value: token, expiresAt: expiryOf(json, now()) };
}

/** `expires_on` (epoch seconds, a number or a string of one), else `expires_in` (seconds). */
function expiryOf(json: Record<string, unknown> | undefined, now: number): number {
  const on = Number(json?.['expires_on']);
  if (Number.isFinite(on) && on > 1e9) return on * 1000;
  const inSeconds = Number(json?.['expires_in']);
  return Number.isFinite(inSeconds) && inSeconds > 0 ? now + inSeconds * 1000 : now + UNDATED_MS;
}
