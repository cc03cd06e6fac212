/**
 * A real service from Debian (tinyproxy, danted, Apache, Caddy, HAProxy, Varnish…) on a free
 * loopback port, with its config, pid file and logs in a fresh scratch dir. The dir goes when the
 * service stops, or when it fails to start; its logs stay readable.
 */
import { type ChildHandle, startProcess, type StartProcessOptions } from './process.ts';
import { freePort } from './ports.ts';
import { makeScratchDir, type ScratchDir } from './scratch-dir.ts';

/** How to start the service, once its config is written. */
export interface ServiceCommand {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly options: Omit<StartProcessOptions, 'cwd' | 'readyPort'>;
}

export interface RunningService {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly pid: number;
  readonly dir: ScratchDir;
  readonly child: ChildHandle;
  /** Stops the service and removes its dir. */
  readonly stop: () => Promise<void>;
  /** What it wrote to stdout and stderr (the last 64 KiB). */
  readonly output: () => string;
}

/** `prepare` writes the config for `port` into `dir` (and may check it) and says how to start. */
export async function startInScratchDir(
  label: string,
  prepare: (dir: ScratchDir, port: number) => Promise<ServiceCommand>,
): Promise<RunningService> {
  const dir = await makeScratchDir(label);
  try {
    const port = await freePort();
    const { cmd, args, options } = await prepare(dir, port);
    const child = await startProcess(cmd, args, { ...options, cwd: dir.path, readyPort: port });
    return {
      port,
      url: `http://127.0.0.1:${port}`,
      pid: child.pid,
      dir,
      child,
      stop: async () => {
        await child.stop();
        await dir.remove();
      },
      output: () => child.output(),
    };
  } catch (error) {
    await dir.remove();
    throw error;
  }
}
