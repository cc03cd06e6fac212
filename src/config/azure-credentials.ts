/**
 * Microsoft Entra ID for an Azure OpenAI entry without an API key (many organisations turn key
 * access off), chosen with the config in the order Azure's `DefaultAzureCredential` looks: a
 * service principal's secret in the environment, AKS workload identity (a federated token
 * file), then managed identity — App Service's endpoint, else the VM's or AKS node's instance
 * metadata service. `upstream/azure-tokens.ts` fetches and renews the tokens. Problems name
 * variables, never a secret.
 */
import { httpUrl, nonEmpty } from './read.ts';
import type { Env } from './values.ts';

export type AzureTokenSource =
  | (ServicePrincipal & { readonly kind: 'client-secret'; readonly secret: string })
  | (ServicePrincipal & {
      readonly kind: 'workload-identity';
      /** The federated token's file (read at each fetch: AKS rotates it). */
      readonly tokenFile: string;
    })
  | {
      readonly kind: 'managed-identity';
      /** App Service's `IDENTITY_ENDPOINT`, or the instance metadata service's token path. */
      readonly endpoint: URL;
      /** App Service's `IDENTITY_HEADER`; undefined on a VM (which takes `Metadata: true`). */
      readonly identityHeader: string | undefined;
      /** A user-assigned identity's client id (`AZURE_CLIENT_ID`). */
      readonly clientId: string | undefined;
    };

/** An application in a tenant, and where its tokens are got. */
interface ServicePrincipal {
  readonly tenantId: string;
  readonly clientId: string;
  /** `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`, or the authority host's. */
  readonly tokenUrl: URL;
}

const AUTHORITY = 'https://login.microsoftonline.com';
const IMDS = 'http://169.254.169.254';

export function azureTokenSource(
  env: Env,
  where: string,
  problems: string[],
): AzureTokenSource | undefined {
  const tenantId = nonEmpty(env['AZURE_TENANT_ID']);
  const clientId = nonEmpty(env['AZURE_CLIENT_ID']);
  const secret = nonEmpty(env['AZURE_CLIENT_SECRET']);
  const tokenFile = nonEmpty(env['AZURE_FEDERATED_TOKEN_FILE']);
  if (tenantId !== undefined && clientId !== undefined && (secret ?? tokenFile) !== undefined) {
    if (!/^[A-Za-z0-9.-]{1,64}$/.test(tenantId)) {
      problems.push(`${where}: AZURE_TENANT_ID is not a tenant id or domain: "${tenantId}".`);
      return undefined;
    }
    const authority = httpUrl(
      env['AZURE_AUTHORITY_HOST'] ?? AUTHORITY,
      'AZURE_AUTHORITY_HOST',
      where,
      problems,
    );
    if (authority === undefined) return undefined;
    const tokenUrl = new URL(`${authority.href.replace(/\/+$/, '')}/${tenantId}/oauth2/v2.0/token`);
    return secret !== undefined
      ? { kind: 'client-secret', tenantId, clientId, secret, tokenUrl }
      : { kind: 'workload-identity', tenantId, clientId, tokenFile: tokenFile ?? '', tokenUrl };
  }
  const appService = nonEmpty(env['IDENTITY_ENDPOINT']);
  const header = nonEmpty(env['IDENTITY_HEADER']);
  if (appService !== undefined && header !== undefined) {
    const endpoint = httpUrl(appService, 'IDENTITY_ENDPOINT', where, problems);
    return endpoint === undefined
      ? undefined
      : { kind: 'managed-identity', endpoint, identityHeader: header, clientId };
  }
  const host = httpUrl(
    env['AZURE_POD_IDENTITY_AUTHORITY_HOST'] ?? IMDS,
    'AZURE_POD_IDENTITY_AUTHORITY_HOST',
    where,
    problems,
  );
  return host === undefined
    ? undefined
    : {
        kind: 'managed-identity',
        endpoint: new URL(`${host.href.replace(/\/+$/, '')}/metadata/identity/oauth2/token`),
        identityHeader: undefined,
        clientId,
      };
}
