/**
 * `sluice doctor --html FILE`: the file is checked before the measurement (a probe may run for
 * minutes; learning afterwards that the directory is missing would waste it) and written after.
 */
import { access, constants, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Why FILE cannot be written, or undefined when it can. */
export async function htmlFileProblem(file: string): Promise<string | undefined> {
  if (file.trim() === '') return '--html needs a file name, e.g. --html doctor.html';
  const path = resolve(file);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory() === true) {
    return `--html ${file} is a directory: give a file name, e.g. ${file.replace(/\/+$/, '')}/doctor.html`;
  }
  const dir = dirname(path);
  try {
    await access(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return `--html: cannot write in ${dir}${typeof code === 'string' ? ` (${code})` : ''}: give a file in an existing, writable directory`;
  }
}

export async function writeHtmlFile(file: string, html: string): Promise<void> {
  await writeFile(file, html, 'utf8');
}
