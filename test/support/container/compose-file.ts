/**
 * compose.yaml read as Docker Compose reads it, into what a container engine needs: YAML values
 * interpolated (compose-interpolate.ts; keys are not), each service's image or build, its
 * environment, command, volumes, published ports, health check, dependencies, replica count,
 * restart policy and stop grace period.
 *
 * Only the parts of the Compose Specification that Sluice's compose.yaml uses are implemented,
 * and anything else is refused by name: a setting the tests would silently drop could not be
 * said to have been run. Teach this file a new key when compose.yaml gains one.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { interpolate, type Variables } from './compose-interpolate.ts';

/** A health check as Docker runs it: exec form (no shell) or one shell command line. */
export type HealthTest =
  | { readonly form: 'CMD'; readonly args: readonly string[] }
  | { readonly form: 'CMD-SHELL'; readonly command: string };

export interface Healthcheck {
  readonly test: HealthTest;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly startPeriodMs: number;
  readonly retries: number;
}

export type Mount =
  | {
      readonly kind: 'volume';
      readonly volume: string;
      readonly target: string;
      readonly readOnly: boolean;
    }
  | {
      readonly kind: 'bind';
      readonly source: string;
      readonly target: string;
      readonly readOnly: boolean;
    };

export interface PublishedPort {
  readonly hostPort: number;
  readonly containerPort: number;
}

export type Condition = 'service_started' | 'service_healthy';

export interface ServiceSpec {
  readonly name: string;
  readonly image: string | undefined;
  /** The build context (absolute) and Dockerfile, when the service is built. */
  readonly build: { readonly context: string; readonly dockerfile: string } | undefined;
  readonly environment: Readonly<Record<string, string>>;
  /** Replaces the image's CMD; undefined keeps it. */
  readonly command: readonly string[] | undefined;
  readonly volumes: readonly Mount[];
  readonly ports: readonly PublishedPort[];
  readonly healthcheck: Healthcheck | undefined;
  readonly dependsOn: readonly { readonly service: string; readonly condition: Condition }[];
  readonly replicas: number;
  readonly restart: string | undefined;
  readonly stopGracePeriodMs: number | undefined;
}

export interface ComposeProject {
  readonly services: readonly ServiceSpec[];
  /** Named volumes declared at the top level. */
  readonly volumes: readonly string[];
  /** Variables used without a value or default: Docker Compose warns about each. */
  readonly unset: readonly string[];
}

/** Docker Compose's defaults for a health check's timing. */
const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, startPeriodMs: 0, retries: 3 };

const SERVICE_KEYS = new Set([
  'build',
  'image',
  'deploy',
  'environment',
  'command',
  'volumes',
  'ports',
  'healthcheck',
  'depends_on',
  'restart',
  'stop_grace_period',
]);

type Yaml = Record<string, unknown>;

/** The YAML as parsed, every string value interpolated against `variables` (keys left alone). */
export function interpolateDocument(
  document: unknown,
  variables: Variables,
): { document: unknown; unset: string[] } {
  const unset: string[] = [];
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const done = interpolate(value, variables);
      unset.push(...done.unset);
      return done.value;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (isObject(value))
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item)]));
    return value;
  };
  return { document: walk(document), unset: [...new Set(unset)] };
}

export function loadCompose(path: string, variables: Variables): ComposeProject {
  const raw: unknown = parse(readFileSync(path, 'utf8'));
  const { document, unset } = interpolateDocument(raw, variables);
  const top = object(document, 'compose.yaml');
  for (const key of Object.keys(top)) if (!['services', 'volumes'].includes(key)) unsupported(key);
  const volumes = Object.keys(object(top.volumes ?? {}, 'volumes'));
  const base = dirname(path);
  const services = Object.entries(object(top.services, 'services')).map(([name, value]) =>
    service(name, object(value, `services.${name}`), { base, volumes, variables }),
  );
  for (const spec of services)
    for (const { service: needed } of spec.dependsOn)
      if (!services.some((s) => s.name === needed))
        throw new Error(`services.${spec.name}.depends_on: no service "${needed}"`);
  return { services, volumes, unset };
}

function service(
  name: string,
  yaml: Yaml,
  context: { base: string; volumes: readonly string[]; variables: Variables },
): ServiceSpec {
  const at = `services.${name}`;
  for (const key of Object.keys(yaml)) if (!SERVICE_KEYS.has(key)) unsupported(`${at}.${key}`);
  return {
    name,
    image: optionalString(yaml.image, `${at}.image`),
    build: build(yaml.build, context.base, `${at}.build`),
    environment: environment(yaml.environment, context.variables, `${at}.environment`),
    command: command(yaml.command, `${at}.command`),
    volumes: list(yaml.volumes, `${at}.volumes`).map((v, i) =>
      mount(v, context, `${at}.volumes[${i}]`),
    ),
    ports: list(yaml.ports, `${at}.ports`).map((p, i) => port(p, `${at}.ports[${i}]`)),
    healthcheck: healthcheck(yaml.healthcheck, `${at}.healthcheck`),
    dependsOn: dependsOn(yaml.depends_on, `${at}.depends_on`),
    replicas: replicas(yaml.deploy, `${at}.deploy`),
    restart: optionalString(yaml.restart, `${at}.restart`),
    stopGracePeriodMs:
      yaml.stop_grace_period === undefined
        ? undefined
        : goDuration(yaml.stop_grace_period, `${at}.stop_grace_period`),
  };
}

function build(value: unknown, base: string, at: string): ServiceSpec['build'] {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return { context: resolve(base, value), dockerfile: 'Dockerfile' };
  const yaml = object(value, at);
  for (const key of Object.keys(yaml))
    if (!['context', 'dockerfile'].includes(key)) unsupported(`${at}.${key}`);
  return {
    context: resolve(base, optionalString(yaml.context, `${at}.context`) ?? '.'),
    dockerfile: optionalString(yaml.dockerfile, `${at}.dockerfile`) ?? 'Dockerfile',
  };
}

/** Map or `KEY=VALUE` list; a bare key (or a null value) takes the variable's value, if any. */
function environment(value: unknown, variables: Variables, at: string): Record<string, string> {
  const pairs: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => {
        const text = string(item, `${at}[${i}]`);
        const eq = text.indexOf('=');
        return eq < 0 ? [text, null] : [text.slice(0, eq), text.slice(eq + 1)];
      })
    : Object.entries(object(value ?? {}, at));
  const env: Record<string, string> = {};
  for (const [key, item] of pairs) {
    if (item === null) {
      const inherited = variables[key];
      if (inherited !== undefined) env[key] = inherited;
    } else if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
      env[key] = String(item);
    } else {
      throw new Error(`${at}.${key}: a string, number or boolean, not ${JSON.stringify(item)}`);
    }
  }
  return env;
}

function command(value: unknown, at: string): string[] | undefined {
  if (value === undefined) return undefined;
  // The string form is split like a shell would; not implemented, as compose.yaml has none.
  if (!Array.isArray(value)) unsupported(`${at} as a string (use the list form)`);
  return value.map((item, i) => string(item, `${at}[${i}]`));
}

/** Short syntax: `NAME:/target[:ro]` (a declared volume) or `./path:/target[:ro]` (a bind). */
function mount(
  value: unknown,
  context: { base: string; volumes: readonly string[] },
  at: string,
): Mount {
  const [source = '', target = '', mode, ...extra] = string(value, at).split(':');
  if (target === '' || extra.length > 0 || (mode !== undefined && !['ro', 'rw'].includes(mode)))
    unsupported(`${at} "${string(value, at)}"`);
  const readOnly = mode === 'ro';
  if (source.startsWith('.') || isAbsolute(source))
    return { kind: 'bind', source: resolve(context.base, source), target, readOnly };
  if (!context.volumes.includes(source))
    throw new Error(`${at}: volume "${source}" is not declared under the top-level volumes`);
  return { kind: 'volume', volume: source, target, readOnly };
}

/** Short syntax `HOST:CONTAINER` (TCP). */
function port(value: unknown, at: string): PublishedPort {
  const match = /^(\d+):(\d+)$/.exec(string(value, at));
  if (match === null) unsupported(`${at} "${String(value)}" (only HOST:CONTAINER)`);
  return { hostPort: Number(match[1]), containerPort: Number(match[2]) };
}

function healthcheck(value: unknown, at: string): Healthcheck | undefined {
  if (value === undefined) return undefined;
  const yaml = object(value, at);
  for (const key of Object.keys(yaml))
    if (!['test', 'interval', 'timeout', 'start_period', 'retries'].includes(key))
      unsupported(`${at}.${key}`);
  const duration = (key: string, fallback: number): number =>
    yaml[key] === undefined ? fallback : goDuration(yaml[key], `${at}.${key}`);
  const retries = yaml.retries ?? HEALTH_DEFAULTS.retries;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 1)
    throw new Error(`${at}.retries: a positive integer`);
  return {
    test: healthTest(yaml.test, `${at}.test`),
    intervalMs: duration('interval', HEALTH_DEFAULTS.intervalMs),
    timeoutMs: duration('timeout', HEALTH_DEFAULTS.timeoutMs),
    startPeriodMs: duration('start_period', HEALTH_DEFAULTS.startPeriodMs),
    retries,
  };
}

/** `[CMD, arg…]` runs without a shell; `[CMD-SHELL, line]` or a plain string runs in `sh -c`. */
function healthTest(value: unknown, at: string): HealthTest {
  if (typeof value === 'string') return { form: 'CMD-SHELL', command: value };
  const [form, ...args] = list(value, at).map((item, i) => string(item, `${at}[${i}]`));
  if (form === 'CMD' && args.length > 0) return { form, args };
  if (form === 'CMD-SHELL' && args.length === 1 && args[0] !== undefined)
    return { form, command: args[0] };
  return unsupported(`${at} ${JSON.stringify(value)}`);
}

function dependsOn(value: unknown, at: string): ServiceSpec['dependsOn'] {
  if (value === undefined) return [];
  if (Array.isArray(value))
    return value.map((item, i) => ({
      service: string(item, `${at}[${i}]`),
      condition: 'service_started',
    }));
  return Object.entries(object(value, at)).map(([name, item]) => {
    const yaml = object(item, `${at}.${name}`);
    for (const key of Object.keys(yaml))
      if (key !== 'condition') unsupported(`${at}.${name}.${key}`);
    const condition = yaml.condition ?? 'service_started';
    if (condition !== 'service_started' && condition !== 'service_healthy')
      unsupported(`${at}.${name}.condition ${JSON.stringify(condition)}`);
    return { service: name, condition };
  });
}

function replicas(value: unknown, at: string): number {
  if (value === undefined) return 1;
  const yaml = object(value, at);
  for (const key of Object.keys(yaml)) if (key !== 'replicas') unsupported(`${at}.${key}`);
  const count = yaml.replicas ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
    throw new Error(`${at}.replicas: a positive integer`);
  return count;
}

/** Compose durations are Go's (`1m30s`, `75s`, `500ms`). */
export function goDuration(value: unknown, at: string): number {
  const text = string(value, at);
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((m) => m[0]).join('') !== text)
    throw new Error(`${at}: "${text}" is not a duration such as 10s or 1m30s`);
  return parts.reduce((sum, m) => sum + Number(m[1]) * (units[m[2] ?? ''] ?? 0), 0);
}

function unsupported(what: string): never {
  throw new Error(
    `compose.yaml uses ${what}, which test/support/container/compose-file.ts does not implement: ` +
      'teach it, so the tests run what Docker Compose would',
  );
}

function isObject(value: unknown): value is Yaml {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, at: string): Yaml {
  if (!isObject(value)) throw new Error(`${at}: a mapping`);
  return value;
}

function list(value: unknown, at: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${at}: a list`);
  return value;
}

function string(value: unknown, at: string): string {
  if (typeof value !== 'string') throw new Error(`${at}: a string`);
  return value;
}

function optionalString(value: unknown, at: string): string | undefined {
  return value === undefined ? undefined : string(value, at);
}
