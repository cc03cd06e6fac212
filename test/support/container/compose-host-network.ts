/**
 * What each of compose.yaml's services does differently when its container shares the host's
 * network (compose-stack.ts) instead of having a network namespace of its own, and nothing else:
 *
 * - It listens on its own loopback address, not on all addresses: in a namespace of its own
 *   "all" is that container alone; on the host it would be the machine's 0.0.0.0, where this
 *   machine's own PostgreSQL and Redis already hold 5432 and 6379 on 127.0.0.1. Sluice through
 *   HOST, nginx through its `listen` line, PostgreSQL through `-c listen_addresses`, Redis
 *   through `--bind` (both appended to the image's command, as `docker run IMAGE ARGS` would).
 * - Its health check's 127.0.0.1 means itself, so it becomes the container's address (and
 *   redis-cli, whose default host that is, is given `-h`).
 * - A published port (`ports`) is the host's port on 127.0.0.1, where nginx also listens.
 *
 * The compose file's ports, URLs (DATABASE_URL, REDIS_URL), environment and nginx's upstream
 * `sluice:8080` stay as written. A service this file does not know is refused: a new one needs
 * its own line here.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Healthcheck, HealthTest, Mount, ServiceSpec } from './compose-file.ts';
import type { Adjust, Adjusted, Instance } from './compose-stack.ts';
import type { ScratchDir } from '../scratch-dir.ts';

const NGINX_CONF = '/etc/nginx/nginx.conf';

export function hostNetwork(dir: ScratchDir): Adjust {
  return async (spec, instance, imageCommand) => {
    const kept: Adjusted = {
      environment: spec.environment,
      command: spec.command,
      volumes: spec.volumes,
      healthcheck: spec.healthcheck,
    };
    const command = spec.command ?? imageCommand;
    if (spec.ports.some((p) => spec.name !== 'nginx' || p.containerPort !== 80))
      throw new Error(`services.${spec.name}.ports: only nginx's port 80 is published here`);
    switch (spec.name) {
      case 'sluice': {
        if (spec.environment.HOST !== '0.0.0.0')
          throw new Error(`services.sluice: HOST is ${String(spec.environment.HOST)}, not 0.0.0.0`);
        return {
          ...kept,
          environment: { ...spec.environment, HOST: instance.address },
          healthcheck: ownLoopback(spec, instance),
        };
      }
      case 'nginx':
        return {
          ...kept,
          volumes: await nginxConf(spec, instance, dir),
          healthcheck: ownLoopback(spec, instance),
        };
      case 'postgres':
        return {
          ...kept,
          command: [...command, '-c', `listen_addresses=${instance.address}`],
          healthcheck: ownLoopback(spec, instance),
        };
      case 'redis': {
        const check = required(spec);
        const test = check.test;
        if (test.form !== 'CMD' || test.args[0] !== 'redis-cli' || test.args.includes('-h'))
          throw new Error(
            `services.redis.healthcheck: ${JSON.stringify(test)}: not \`redis-cli …\``,
          );
        return {
          ...kept,
          command: [...command, '--bind', instance.address],
          healthcheck: {
            ...check,
            test: {
              form: 'CMD',
              args: ['redis-cli', '-h', instance.address, ...test.args.slice(1)],
            },
          },
        };
      }
      default:
        throw new Error(
          `services.${spec.name}: test/support/container/compose-host-network.ts does not know ` +
            'how it listens; add it there',
        );
    }
  };
}

function required(spec: ServiceSpec): Healthcheck {
  if (spec.healthcheck === undefined) throw new Error(`services.${spec.name}: no healthcheck`);
  return spec.healthcheck;
}

/** The health check with its 127.0.0.1 (the container itself) made the container's address. */
function ownLoopback(spec: ServiceSpec, instance: Instance): Healthcheck {
  const check = required(spec);
  const words = check.test.form === 'CMD' ? check.test.args : [check.test.command];
  if (!words.some((word) => word.includes('127.0.0.1')))
    throw new Error(`services.${spec.name}.healthcheck does not name 127.0.0.1`);
  const swap = (word: string) => word.replaceAll('127.0.0.1', instance.address);
  const test: HealthTest =
    check.test.form === 'CMD'
      ? { form: 'CMD', args: check.test.args.map(swap) }
      : { form: 'CMD-SHELL', command: swap(check.test.command) };
  return { ...check, test };
}

/**
 * compose.yaml's nginx.conf, its `listen 80;` made `listen ADDRESS:80;` plus a `listen` on
 * 127.0.0.1 for each port the service publishes; the rest of the file as it is.
 */
async function nginxConf(spec: ServiceSpec, instance: Instance, dir: ScratchDir): Promise<Mount[]> {
  const mount = spec.volumes.find((m) => m.target === NGINX_CONF);
  if (mount?.kind !== 'bind') throw new Error(`services.nginx mounts no file at ${NGINX_CONF}`);
  const text = readFileSync(mount.source, 'utf8');
  const listen = /^(\s*)listen 80;$/m;
  const match = listen.exec(text);
  if (match === null || text.split('\n').filter((line) => /^\s*listen\s/.test(line)).length !== 1)
    throw new Error(`${mount.source}: expected exactly one \`listen 80;\``);
  const indent = match[1] ?? '';
  const published = spec.ports
    .filter((p) => p.containerPort === 80)
    .map((p) => `${indent}listen 127.0.0.1:${String(p.hostPort)};`);
  const adjusted = text.replace(
    listen,
    [`${indent}listen ${instance.address}:80;`, ...published].join('\n'),
  );
  const file = dir.file(`${instance.name}-nginx.conf`);
  await writeFile(file, adjusted);
  return spec.volumes.map((m) => (m === mount ? { ...mount, source: file } : m));
}
