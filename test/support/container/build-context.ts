/**
 * A digest of what `podman build` (or `docker build`) would send as the build context: every
 * file under the context directory that .dockerignore does not exclude, its path, executable bit
 * and content, plus the Dockerfile and .dockerignore themselves. Equal digests, equal inputs: an
 * image built from one can stand for the other (compose-images.ts caches on it).
 *
 * .dockerignore as Docker reads it (moby/patternmatcher): one pattern a line, `#` comments,
 * relative to the context root (a leading `/` is dropped), `*` and `?` within one path segment,
 * `**` across any number, and a pattern that matches a directory excludes what is under it.
 * `!` exceptions are not implemented (refused by name): Sluice's file has none.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';

export function contextDigest(context: string, dockerfile: string): string {
  const ignoreFile = join(context, '.dockerignore');
  const ignoreText = existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '';
  const excluded = dockerignore(ignoreText);
  const hash = createHash('sha256');
  hash.update(`Dockerfile\0${readFileSync(join(context, dockerfile), 'utf8')}\0`);
  hash.update(`.dockerignore\0${ignoreText}\0`);
  const walk = (relative: string): void => {
    const entries = readdirSync(join(context, relative)).sort();
    for (const name of entries) {
      const path = relative === '' ? name : posix.join(relative, name);
      if (excluded(path)) continue;
      const full = join(context, path);
      const stat = lstatSync(full);
      if (stat.isDirectory()) walk(path);
      else if (stat.isSymbolicLink()) hash.update(`link ${path}\0${readlinkSync(full)}\0`);
      else if (stat.isFile())
        hash
          .update(`file ${path} ${(stat.mode & 0o111) !== 0 ? 'x' : '-'}\0`)
          .update(readFileSync(full))
          .update('\0');
    }
  };
  walk('');
  return hash.digest('hex');
}

/** Whether a context-relative path (posix separators) is excluded by these patterns. */
export function dockerignore(text: string): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      if (line.startsWith('!'))
        throw new Error(`.dockerignore: "${line}": exceptions (!) are not implemented here`);
      const cleaned = posix.normalize(line.replace(/^\/+/, '')).replace(/\/+$/, '');
      return globToRegExp(cleaned);
    });
  return (path) => {
    const segments = path.split('/');
    // The path itself or any directory above it.
    for (let end = 1; end <= segments.length; end++) {
      const prefix = segments.slice(0, end).join('/');
      if (patterns.some((pattern) => pattern.test(prefix))) return true;
    }
    return false;
  };
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        source += '(?:.*/)?';
      } else {
        source += '.*';
      }
    } else if (c === '*') {
      source += '[^/]*';
    } else if (c === '?') {
      source += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error(`.dockerignore: "${pattern}": unclosed [`);
      source += pattern.slice(i, end + 1);
      i = end;
    } else if (c === '\\') {
      i++;
      source += escape(pattern.charAt(i));
    } else {
      source += escape(c);
    }
  }
  return new RegExp(`^${source}$`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
