/** A fresh temp dir for one service's config, pid file and logs; its logs stay readable after removal. */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ScratchDir {
  readonly path: string;
  /** The absolute path of `name` inside the dir. */
  file(name: string): string;
  /** The text of `name` ('' if absent); after remove(), what it held then, for *.log files. */
  read(name: string): string;
  /** Deletes the dir, keeping a copy of its *.log files for read(). */
  remove(): Promise<void>;
}

/** Dirs not yet removed; a test that never called stop() still leaves no litter. */
const live = new Set<string>();
let hookInstalled = false;

export async function makeScratchDir(label: string): Promise<ScratchDir> {
  const path = await mkdtemp(join(tmpdir(), `sluice-${label}-`));
  live.add(path);
  if (!hookInstalled) {
    hookInstalled = true;
    process.on('exit', () => {
      for (const dir of live) rmSync(dir, { recursive: true, force: true });
    });
  }
  let kept: Map<string, string> | undefined;
  const file = (name: string): string => join(path, name);
  const read = (name: string): string => {
    if (kept) return kept.get(name) ?? '';
    try {
      return readFileSync(file(name), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    }
  };
  const remove = async (): Promise<void> => {
    if (kept) return;
    const logs = new Map<string, string>();
    for (const name of readdirSync(path)) if (name.endsWith('.log')) logs.set(name, read(name));
    kept = logs;
    await rm(path, { recursive: true, force: true });
    live.delete(path);
  };
  return { path, file, read, remove };
}
