import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AwsCredentialSource, awsCredentialSource, iniSection } from './aws-credentials.ts';

function sourceOf(env: Record<string, string>): {
  source?: AwsCredentialSource;
  problems: string[];
} {
  const problems: string[] = [];
  const source = awsCredentialSource({}, 'eu-west-1', env, 'upstreams[0]', problems);
  return { ...(source === undefined ? {} : { source }), problems };
}

describe('awsCredentialSource: the chain AWS SDKs follow', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-aws-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('keys in the environment come first, then a profile, web identity, a container, the instance', async () => {
    const file = join(dir, 'credentials');
    await writeFile(file, '[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n');
    const all = {
      AWS_ACCESS_KEY_ID: 'AKIAENV',
      AWS_SECRET_ACCESS_KEY: 's',
      AWS_SHARED_CREDENTIALS_FILE: file,
      AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
      AWS_ROLE_ARN: 'arn:aws:iam::1:role/r',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc',
    };
    const kinds: string[] = [];
    let env: Record<string, string> = all;
    for (const drop of [
      ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
      ['AWS_SHARED_CREDENTIALS_FILE'],
      ['AWS_WEB_IDENTITY_TOKEN_FILE'],
      ['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'],
    ]) {
      const { source, problems } = sourceOf(env);
      assert.deepEqual(problems, []);
      kinds.push(source?.kind === 'keys' ? `keys ${source.accessKeyId}` : (source?.kind ?? ''));
      env = Object.fromEntries(Object.entries(env).filter(([name]) => !drop.includes(name)));
    }
    kinds.push(sourceOf(env).source?.kind ?? '');
    assert.deepEqual(kinds, [
      'keys AKIAENV',
      'keys AKIAFILE',
      'web-identity',
      'container',
      'instance',
    ]);
  });

  it('web identity asks the region’s STS; the ECS relative URI is on 169.254.170.2', () => {
    const web = sourceOf({
      AWS_WEB_IDENTITY_TOKEN_FILE: '/t',
      AWS_ROLE_ARN: 'arn:aws:iam::1:role/r',
    });
    assert.equal(
      web.source?.kind === 'web-identity' ? web.source.sts.href : '',
      'https://sts.eu-west-1.amazonaws.com/',
    );
    const ecs = sourceOf({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc' });
    assert.equal(
      ecs.source?.kind === 'container' ? ecs.source.url.href : '',
      'http://169.254.170.2/v2/credentials/abc',
    );
  });

  it('refuses a container endpoint over plain http that is neither loopback nor link-local', () => {
    // Whoever answers gets the authorization token and hands out the keys Sluice signs with.
    for (const uri of [
      'http://attacker.example/creds',
      'http://10.0.0.5/creds',
      'http://169.254.169.254.attacker.example/',
    ]) {
      const { source, problems } = sourceOf({
        AWS_CONTAINER_CREDENTIALS_FULL_URI: uri,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: 'tok',
      });
      assert.equal(source, undefined, uri);
      assert.match(
        problems.join(),
        /must be https, or http on loopback or ECS's and EKS's link-local addresses/,
      );
      assert.doesNotMatch(problems.join(), /tok/);
    }
    for (const uri of [
      'https://creds.example/x',
      'http://169.254.170.23/v1/credentials',
      'http://127.0.0.1:9/x',
      'http://[fd00:ec2::23]/v1/credentials',
    ])
      assert.equal(
        sourceOf({ AWS_CONTAINER_CREDENTIALS_FULL_URI: uri }).source?.kind,
        'container',
        uri,
      );
    assert.match(
      sourceOf({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'file:///etc/passwd' }).problems.join(),
      /not an http\(s\) URL/,
    );
  });

  it('a named profile without keys is a problem that says why, not a fall to the next source', async () => {
    const file = join(dir, 'sso');
    await writeFile(file, '[profile dev]\nsso_session = corp\nrole_arn = arn:aws:iam::1:role/r\n');
    const { source, problems } = sourceOf({
      AWS_SHARED_CREDENTIALS_FILE: file,
      AWS_PROFILE: 'dev',
    });
    assert.equal(source, undefined);
    assert.match(
      problems.join(),
      /AWS_PROFILE is dev, but .*sso has no aws_access_key_id and aws_secret_access_key for it/,
    );
  });
});

describe('iniSection', () => {
  it('reads one section, with comments, CRLF, spaces and "profile " headers', () => {
    const text =
      '# top\r\n[default]\r\naws_access_key_id=A\r\n\r\n[profile work]\r\n; note\r\n AWS_Secret_Access_Key = b=c \r\n[other]\r\nx = y\r\n';
    assert.deepEqual([...(iniSection(text, 'work') ?? [])], [['aws_secret_access_key', 'b=c']]);
    assert.deepEqual([...(iniSection(text, 'default') ?? [])], [['aws_access_key_id', 'A']]);
    assert.equal(iniSection(text, 'missing'), undefined);
  });
});
