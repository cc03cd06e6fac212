/**
 * Where a Bedrock upstream's AWS credentials come from, chosen with the config in the order
 * AWS's own SDKs look: keys in the environment, a profile's keys in the shared credentials
 * file, a web identity token (EKS IAM roles for service accounts), the container credentials
 * endpoint (ECS tasks, EKS Pod Identity), then the EC2 instance's role. The last three hand out
 * temporary keys that `upstream/aws-credentials.ts` fetches and renews. Problems name variables,
 * files and profiles, never a secret.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpUrl, nonEmpty } from './read.ts';
import type { Env } from './values.ts';

export interface AwsKeys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string | undefined;
}

export type AwsCredentialSource =
  | ({ readonly kind: 'keys'; readonly from: string } & AwsKeys)
  | {
      readonly kind: 'web-identity';
      readonly tokenFile: string;
      readonly roleArn: string;
      readonly sessionName: string;
      /** STS: `https://sts.<region>.amazonaws.com`, or `AWS_ENDPOINT_URL_STS`. */
      readonly sts: URL;
    }
  | {
      readonly kind: 'container';
      readonly url: URL;
      /** The `Authorization` header: a token, or a file holding one (read at each fetch). */
      readonly token: string | undefined;
      readonly tokenFile: string | undefined;
    }
  | { readonly kind: 'instance'; readonly endpoint: URL };

/** Explicitly named variables: a profile or a role never stands in for them. */
export interface NamedKeys {
  readonly accessKeyIdEnv?: string | undefined;
  readonly secretAccessKeyEnv?: string | undefined;
  readonly sessionTokenEnv?: string | undefined;
}

/** Where ECS serves a task's credentials (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`). */
const ECS_ORIGIN = 'http://169.254.170.2';
/** Hosts a plain-http `AWS_CONTAINER_CREDENTIALS_FULL_URI` may name, as the SDKs allow. */
const CONTAINER_HOSTS = new Set(['169.254.170.2', '169.254.170.23', '[fd00:ec2::23]']);
const IMDS = 'http://169.254.169.254';

export function awsCredentialSource(
  named: NamedKeys,
  region: string,
  env: Env,
  where: string,
  problems: string[],
): AwsCredentialSource | undefined {
  if (named.accessKeyIdEnv !== undefined || named.secretAccessKeyEnv !== undefined)
    return namedKeys(named, env, where, problems);
  const id = nonEmpty(env['AWS_ACCESS_KEY_ID']);
  const secret = nonEmpty(env['AWS_SECRET_ACCESS_KEY']);
  if (id !== undefined || secret !== undefined) return namedKeys(named, env, where, problems);
  const profile = profileKeys(env, where, problems);
  if (profile !== null) return profile;
  const tokenFile = nonEmpty(env['AWS_WEB_IDENTITY_TOKEN_FILE']);
  const roleArn = nonEmpty(env['AWS_ROLE_ARN']);
  if (tokenFile !== undefined && roleArn !== undefined) {
    const sts = httpUrl(
      env['AWS_ENDPOINT_URL_STS'] ?? `https://sts.${region}.amazonaws.com`,
      'AWS_ENDPOINT_URL_STS',
      where,
      problems,
    );
    return sts === undefined
      ? undefined
      : {
          kind: 'web-identity',
          tokenFile,
          roleArn,
          sessionName: nonEmpty(env['AWS_ROLE_SESSION_NAME']) ?? `sluice-${Date.now()}`,
          sts,
        };
  }
  const container = containerSource(env, where, problems);
  if (container !== null) return container;
  if (env['AWS_EC2_METADATA_DISABLED']?.toLowerCase() === 'true') {
    problems.push(
      `${where}.aws: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, or run where a container or instance role is (AWS_EC2_METADATA_DISABLED is true).`,
    );
    return undefined;
  }
  const endpoint = httpUrl(
    env['AWS_EC2_METADATA_SERVICE_ENDPOINT'] ?? IMDS,
    'AWS_EC2_METADATA_SERVICE_ENDPOINT',
    where,
    problems,
  );
  return endpoint === undefined ? undefined : { kind: 'instance', endpoint };
}

/** Keys from variables, the default names or the entry's own. */
function namedKeys(
  named: NamedKeys,
  env: Env,
  where: string,
  problems: string[],
): AwsCredentialSource | undefined {
  const read = (field: string, name: string): string | undefined => {
    const value = nonEmpty(env[name]);
    if (value === undefined)
      problems.push(`${where}.aws.${field} names ${name}, which is not set.`);
    return value;
  };
  const idName = named.accessKeyIdEnv ?? 'AWS_ACCESS_KEY_ID';
  const accessKeyId = read('accessKeyIdEnv', idName);
  const secretAccessKey = read(
    'secretAccessKeyEnv',
    named.secretAccessKeyEnv ?? 'AWS_SECRET_ACCESS_KEY',
  );
  const sessionToken = nonEmpty(env[named.sessionTokenEnv ?? 'AWS_SESSION_TOKEN']);
  if (named.sessionTokenEnv !== undefined && sessionToken === undefined)
    problems.push(`${where}.aws.sessionTokenEnv names ${named.sessionTokenEnv}, which is not set.`);
  if (accessKeyId === undefined || secretAccessKey === undefined) return undefined;
  return { kind: 'keys', from: idName, accessKeyId, secretAccessKey, sessionToken };
}

/**
 * A profile's keys in the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else
 * `~/.aws/credentials`); `AWS_PROFILE` names it, else `default`. `null`: no file or no such
 * profile, and none was asked for by name. Static keys only: a profile that assumes a role or
 * signs in with SSO is named as such.
 */
function profileKeys(
  env: Env,
  where: string,
  problems: string[],
): AwsCredentialSource | undefined | null {
  const asked = nonEmpty(env['AWS_PROFILE']);
  const home = nonEmpty(env['HOME']);
  const file =
    nonEmpty(env['AWS_SHARED_CREDENTIALS_FILE']) ??
    (home === undefined ? undefined : join(home, '.aws', 'credentials'));
  let text: string | undefined;
  try {
    text = file === undefined ? undefined : readFileSync(file, 'utf8');
  } catch {
    text = undefined;
  }
  const name = asked ?? 'default';
  const profile = text === undefined ? undefined : iniSection(text, name);
  const accessKeyId = profile?.get('aws_access_key_id');
  const secretAccessKey = profile?.get('aws_secret_access_key');
  if (accessKeyId !== undefined && secretAccessKey !== undefined)
    return {
      kind: 'keys',
      from: `profile ${name} in ${file ?? ''}`,
      accessKeyId,
      secretAccessKey,
      sessionToken: profile?.get('aws_session_token'),
    };
  if (asked === undefined) return null;
  problems.push(
    `${where}.aws: AWS_PROFILE is ${asked}, but ${file ?? 'no credentials file (HOME is not set)'} has no aws_access_key_id and aws_secret_access_key for it (Sluice reads a profile's keys, not its role_arn or SSO settings).`,
  );
  return undefined;
}

/** The `key = value` lines of `[name]` in an INI text (the credentials file's format). */
export function iniSection(text: string, name: string): Map<string, string> | undefined {
  let section: Map<string, string> | undefined;
  let found: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(?:profile\s+)?([^\]]*?)\s*\]$/.exec(line);
    if (header !== null) {
      section = header[1] === name ? (found ??= new Map()) : undefined;
      continue;
    }
    const eq = line.indexOf('=');
    if (section === undefined || eq < 0) continue;
    const value = line.slice(eq + 1).trim();
    if (value !== '') section.set(line.slice(0, eq).trim().toLowerCase(), value);
  }
  return found;
}

/** The container credentials endpoint the environment names; `null`: none. */
function containerSource(
  env: Env,
  where: string,
  problems: string[],
): AwsCredentialSource | undefined | null {
  const relative = nonEmpty(env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']);
  const full = nonEmpty(env['AWS_CONTAINER_CREDENTIALS_FULL_URI']);
  if (relative === undefined && full === undefined) return null;
  const url =
    relative !== undefined
      ? httpUrl(ECS_ORIGIN + relative, 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', where, problems)
      : httpUrl(full ?? '', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', where, problems);
  if (url === undefined) return undefined;
  // Credentials are handed to whoever answers: over plain http, only a link-local or loopback one.
  if (url.protocol === 'http:' && !CONTAINER_HOSTS.has(url.hostname) && !isLoopback(url)) {
    problems.push(
      `${where}.aws: AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http on loopback or ECS's and EKS's link-local addresses, not ${url.host}.`,
    );
    return undefined;
  }
  return {
    kind: 'container',
    url,
    token: nonEmpty(env['AWS_CONTAINER_AUTHORIZATION_TOKEN']),
    tokenFile: nonEmpty(env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE']),
  };
}

function isLoopback(url: URL): boolean {
  return (
    /^127\.\d+\.\d+\.\d+$/.test(url.hostname) ||
    url.hostname === '[::1]' ||
    url.hostname === 'localhost'
  );
}
