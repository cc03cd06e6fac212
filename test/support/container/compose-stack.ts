/**
 * `docker compose up --wait` done with plain `podman run`, from compose-file.ts's reading of
 * compose.yaml: each service's replicas as containers named PROJECT-SERVICE-N, its named volumes
 * as PROJECT_VOLUME, its environment, command, mounts, health check, restart policy and stop
 * grace period as podman flags; a service starts once each dependency has started or, for
 * `condition: service_healthy`, passed its health check; the stack is up when every health check
 * passes. Debian's podman-compose 1.0.3 cannot run Sluice's file (issue #14).
 *
 * No compose network: every container is on the host's network, with an address of its own on
 * loopback (127.X.Y.N; Linux routes all of 127/8 there), and compose's service names resolve to
 * those addresses through /etc/hosts (`--add-host`; a replicated service's name to each
 * replica's, as Compose's DNS does). Ports stay those the file names. What a container must then
 * do differently (listen on its address rather than on all, …) the caller says: `adjust`.
 *
 * Health checks run when the stack asks (`podman healthcheck run`): podman's own timer for them
 * needs systemd. Everything made is removed by down(), and by the Podman's close() otherwise.
 */
import type {
  ComposeProject,
  Healthcheck,
  HealthTest,
  Mount,
  ServiceSpec,
} from './compose-file.ts';
import type { Podman } from './podman.ts';
import { waitFor } from '../wait.ts';

export interface Instance {
  readonly service: string;
  /** 1-based, as Compose numbers replicas. */
  readonly index: number;
  /** `PROJECT-SERVICE-INDEX` */
  readonly name: string;
  /** Its own address on loopback. */
  readonly address: string;
}

/** One container's settings on the host's network: the service's, adjusted. */
export interface Adjusted {
  readonly environment: Readonly<Record<string, string>>;
  readonly command: readonly string[] | undefined;
  readonly volumes: readonly Mount[];
  readonly healthcheck: Healthcheck | undefined;
}

export type Adjust = (
  spec: ServiceSpec,
  instance: Instance,
  /** The image's own CMD, for a command that extends it. */
  imageCommand: readonly string[],
) => Adjusted | Promise<Adjusted>;

export interface StackOptions {
  readonly podman: Podman;
  readonly project: ComposeProject;
  /** The Compose project name: containers and volumes are named after it. */
  readonly name: string;
  /** Service → local image. */
  readonly images: Readonly<Record<string, string>>;
  /** `127.X.Y`: the containers get 127.X.Y.2, .3, … in the file's order. */
  readonly loopback: string;
  readonly adjust: Adjust;
}

export interface Stack {
  readonly instances: readonly Instance[];
  instance(service: string, index?: number): Instance;
  /** `podman inspect` of a container. */
  inspect(name: string): Promise<ContainerInspect>;
  /** The container's output so far (`podman logs`). */
  logs(name: string): Promise<string>;
  /** Removes the containers (with their anonymous volumes) and the named volumes. */
  down(): Promise<void>;
}

export interface ContainerInspect {
  readonly State: {
    readonly Status: string;
    readonly StartedAt: string;
    readonly Health?: {
      readonly Log: readonly { readonly End: string; readonly ExitCode: number }[];
    };
  };
  readonly RestartCount: number;
  readonly Config: {
    readonly Env: readonly string[];
    readonly Cmd: readonly string[] | null;
    readonly Healthcheck?: { readonly Test: readonly string[] };
  };
}

/** The podman flags for a health check; the interval is left to the caller (no systemd). */
export function healthFlags(check: Healthcheck): string[] {
  return [
    '--health-cmd',
    healthCommand(check.test),
    '--health-interval',
    'disable',
    '--health-timeout',
    `${String(check.timeoutMs)}ms`,
    '--health-start-period',
    `${String(check.startPeriodMs)}ms`,
    '--health-retries',
    String(check.retries),
  ];
}

/**
 * podman's --health-cmd: a JSON array is exec form, anything else is run by `sh -c`. The array
 * must not start with "CMD": podman 4.3 then splits the JSON text itself on spaces (tried:
 * `["CMD","node","-e","a b"]` becomes `["[\"CMD\",\"node\",\"-e\",\"a", "b\"]"]`), the
 * kind of mangling issue #14 saw from podman-compose. A one-word array becomes a shell command
 * in podman, so it is refused.
 */
function healthCommand(test: HealthTest): string {
  if (test.form === 'CMD-SHELL') {
    if (test.command.trimStart().startsWith('['))
      throw new Error(`a shell health check podman would read as JSON: ${test.command}`);
    return test.command;
  }
  if (test.args.length < 2)
    throw new Error(
      `an exec-form health check of one word podman runs through sh: ${test.args[0]}`,
    );
  return JSON.stringify(test.args);
}

/** How long a health check may take to pass: Docker's own bound, doubled for a busy machine. */
export function healthBoundMs(check: Healthcheck): number {
  const docker = check.startPeriodMs + check.retries * (check.intervalMs + check.timeoutMs);
  return Math.max(60_000, 2 * docker);
}

export async function upStack(options: StackOptions): Promise<Stack> {
  const { podman, project, name } = options;
  const instances = project.services
    .flatMap((spec) =>
      Array.from({ length: spec.replicas }, (_, i) => ({
        service: spec.name,
        index: i + 1,
        name: `${name}-${spec.name}-${String(i + 1)}`,
      })),
    )
    .map((instance, i) => ({ ...instance, address: `${options.loopback}.${String(i + 2)}` }));
  const volumes = project.volumes.map((volume) => `${name}_${volume}`);
  for (const instance of instances) podman.adopt('container', instance.name);
  for (const volume of volumes) podman.adopt('volume', volume);

  const inspect = async (container: string): Promise<ContainerInspect> => {
    const [found] = JSON.parse((await podman.run(['container', 'inspect', container])).stdout) as
      ContainerInspect[] | [];
    if (found === undefined) throw new Error(`no container ${container}`);
    return found;
  };
  const logs = async (container: string): Promise<string> =>
    (await podman.run(['logs', container])).output;
  const stack: Stack = {
    instances,
    instance(service, index = 1) {
      const found = instances.find((i) => i.service === service && i.index === index);
      if (found === undefined) throw new Error(`no ${service} replica ${String(index)}`);
      return found;
    },
    inspect,
    logs,
    async down() {
      await podman.run(
        ['rm', '--force', '--ignore', '--volumes', '--time', '0', ...instances.map((i) => i.name)],
        { timeoutMs: 180_000 },
      );
      for (const volume of volumes)
        if (await podman.succeeds(['volume', 'exists', volume]))
          await podman.run(['volume', 'rm', '--force', volume]);
    },
  };

  for (const volume of volumes)
    await podman.run(['volume', 'create', '--label', `com.docker.compose.project=${name}`, volume]);
  const hosts = instances.flatMap((i) => [
    '--add-host',
    `${i.service}:${i.address}`,
    '--add-host',
    `${i.name}:${i.address}`,
  ]);

  /** Per service: started (every replica running), healthy (every replica's check passed). */
  interface Progress {
    readonly started: Promise<void>;
    readonly healthy: Promise<void>;
  }
  const states = new Map<string, Progress>();
  const bringUp = (spec: ServiceSpec, path: readonly string[]): Progress => {
    const known = states.get(spec.name);
    if (known !== undefined) return known;
    if (path.includes(spec.name))
      throw new Error(`depends_on cycle: ${[...path, spec.name].join(' → ')}`);
    const waits = spec.dependsOn.map(({ service, condition }): Promise<void> => {
      const dependency = project.services.find((s) => s.name === service);
      if (dependency === undefined) throw new Error(`no service ${service}`);
      const state = bringUp(dependency, [...path, spec.name]);
      return condition === 'service_healthy' ? state.healthy : state.started;
    });
    const mine = instances.filter((i) => i.service === spec.name);
    const started = Promise.all(waits).then(() =>
      Promise.all(mine.map((instance) => startOne(spec, instance))),
    );
    const healthy = started.then((adjusted) =>
      Promise.all(
        mine.map((instance, i) => {
          const check = adjusted[i]?.healthcheck;
          return check === undefined ? Promise.resolve() : waitHealthy(instance, check);
        }),
      ),
    );
    const state = {
      started: started.then(() => undefined),
      healthy: healthy.then(() => undefined),
    };
    // A failure reaches the caller through `healthy`; a dependency's `started` that no one
    // awaits must not also be an unhandled rejection.
    state.started.catch(() => undefined);
    states.set(spec.name, state);
    return state;
  };

  const startOne = async (spec: ServiceSpec, instance: Instance): Promise<Adjusted> => {
    const image = options.images[spec.name];
    if (image === undefined) throw new Error(`no image for ${spec.name}`);
    const imageCommand =
      (JSON.parse(
        (await podman.run(['image', 'inspect', '--format', '{{json .Config.Cmd}}', image])).stdout,
      ) as string[] | null) ?? [];
    const adjusted = await options.adjust(spec, instance, imageCommand);
    const volume = (m: Mount) =>
      `${m.kind === 'volume' ? `${name}_${m.volume}` : m.source}:${m.target}${m.readOnly ? ':ro' : ''}`;
    await podman.run([
      'run',
      '--detach',
      '--pull=never',
      ...['--name', instance.name],
      // Compose's own labels: `docker compose ps`-style filters find the stack by them.
      ...['--label', `com.docker.compose.project=${name}`],
      ...['--label', `com.docker.compose.service=${spec.name}`],
      ...['--network', 'host'],
      // Podman passes the host's proxy variables on by default; Docker does not.
      '--http-proxy=false',
      ...hosts,
      ...Object.entries(adjusted.environment).flatMap(([key, value]) => [
        '--env',
        `${key}=${value}`,
      ]),
      ...adjusted.volumes.flatMap((m) => ['--volume', volume(m)]),
      ...(spec.restart === undefined ? [] : ['--restart', spec.restart]),
      ...(spec.stopGracePeriodMs === undefined
        ? []
        : ['--stop-timeout', String(Math.ceil(spec.stopGracePeriodMs / 1000))]),
      ...(adjusted.healthcheck === undefined ? [] : healthFlags(adjusted.healthcheck)),
      image,
      ...(adjusted.command ?? []),
    ]);
    return adjusted;
  };

  const waitHealthy = async (instance: Instance, check: Healthcheck): Promise<void> => {
    const timeoutMs = healthBoundMs(check);
    try {
      await waitFor(
        async () => {
          const state = await inspect(instance.name);
          if (state.State.Status !== 'running')
            throw new Error(`${instance.name} is ${state.State.Status}`);
          return podman.succeeds(['healthcheck', 'run', instance.name]);
        },
        { what: `${instance.name} healthy`, timeoutMs },
      );
    } catch (error) {
      throw new Error(
        `${instance.name}: ${String(error)}; its log:\n${await logs(instance.name)}`,
        {
          cause: error,
        },
      );
    }
  };

  const all = project.services.map((spec) => bringUp(spec, []).healthy);
  await Promise.all(all);
  return stack;
}
