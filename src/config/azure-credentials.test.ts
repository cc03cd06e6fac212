import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { azureTokenSource } from './azure-credentials.ts';

const kindOf = (env: Record<string, string>) => {
  const problems: string[] = [];
  const source = azureTokenSource(env, 'upstreams[0]', problems);
  return { source, problems };
};

describe('azureTokenSource: the order DefaultAzureCredential looks in', () => {
  it('a secret, then a federated token, then App Service, then the instance metadata service', () => {
    const all = {
      AZURE_TENANT_ID: 'contoso.onmicrosoft.com',
      AZURE_CLIENT_ID: 'c',
      AZURE_CLIENT_SECRET: 's',
      AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token',
      IDENTITY_ENDPOINT: 'http://127.0.0.1:41741/msi/token',
      IDENTITY_HEADER: 'h',
    };
    const { AZURE_CLIENT_SECRET: _s, ...federated } = all;
    const { AZURE_FEDERATED_TOKEN_FILE: _f, ...appService } = federated;
    const { IDENTITY_ENDPOINT: _e, ...vm } = appService;
    const seen = [all, federated, appService, vm].map((env) => kindOf(env).source);
    assert.deepEqual(
      seen.map((s) => s?.kind),
      ['client-secret', 'workload-identity', 'managed-identity', 'managed-identity'],
    );
    const [secret, , app, imds] = seen;
    assert.equal(
      secret?.kind === 'client-secret' ? secret.tokenUrl.href : '',
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    );
    assert.equal(app?.kind === 'managed-identity' ? app.identityHeader : '', 'h');
    assert.equal(
      imds?.kind === 'managed-identity' ? `${imds.endpoint.href} ${imds.clientId ?? ''}` : '',
      'http://169.254.169.254/metadata/identity/oauth2/token c',
      'a user-assigned identity by AZURE_CLIENT_ID',
    );
  });

  it('names a bad tenant or endpoint, and never a secret', () => {
    const { source, problems } = kindOf({
      AZURE_TENANT_ID: 'a/b',
      AZURE_CLIENT_ID: 'c',
      AZURE_CLIENT_SECRET: 'hush',
    });
    assert.equal(source, undefined);
    assert.match(problems.join(), /AZURE_TENANT_ID is not a tenant id or domain/);
    assert.doesNotMatch(problems.join(), /hush/);
    assert.match(
      kindOf({ IDENTITY_ENDPOINT: 'ftp://x', IDENTITY_HEADER: 'h' }).problems.join(),
      /IDENTITY_ENDPOINT is not an http\(s\) URL/,
    );
  });
});
