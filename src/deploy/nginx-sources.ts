/**
 * Where a config's files come from: the disk (`sluice nginx --lint /etc/nginx/nginx.conf`), the
 * output of `nginx -T` (every file nginx read, each after a `# configuration file PATH:` line),
 * or one file's text on stdin, whose includes cannot be followed.
 */
import { globSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

export interface ConfigSource {
  /** The main file's name, as given or as `nginx -T` printed it. */
  readonly main: string;
  /** Where relative `include` paths start: nginx's conf prefix, the main file's directory. */
  readonly base: string;
  /** The file's text; `undefined` when it does not exist or cannot be read. */
  read(path: string): string | undefined;
  /** Existing files matching an `include` glob (absolute pattern), sorted as nginx sorts them. */
  glob(pattern: string): string[];
  /** Set when includes cannot be followed: why. */
  readonly includesUnavailable?: string;
}

const DUMP_HEADER = /^# configuration file (.+):$/;

/** The config text from stdin or a file: an `nginx -T` dump if it has the headers, else one file. */
export function textSource(text: string, name: string): ConfigSource {
  const files = splitDump(text);
  const first = files.keys().next();
  if (first.done === true) {
    return {
      main: name,
      base: '.',
      read: (path) => (path === name ? text : undefined),
      glob: () => [],
      includesUnavailable: `${name} is one file without the files it includes; lint the file on disk, or pipe the output of \`nginx -T\``,
    };
  }
  const main = first.value;
  return {
    main,
    base: dirname(main),
    read: (path) => files.get(path),
    glob: (pattern) => {
      const matcher = globToRegExp(pattern);
      return [...files.keys()].filter((path) => matcher.test(path)).sort();
    },
  };
}

/** A main file on disk; includes are read from disk too. Paths stay as given (relative or not). */
export function diskSource(path: string): ConfigSource {
  return {
    main: path,
    base: dirname(path),
    read: (file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    glob: (pattern) => globSync(pattern).sort(),
  };
}

/** `nginx -T` output as path → text; empty when the text is not such a dump. */
export function splitDump(text: string): Map<string, string> {
  const files = new Map<string, string>();
  let current: string[] | undefined;
  let path = '';
  const flush = () => {
    if (current !== undefined) files.set(path, current.join('\n'));
  };
  // Lines before the first header are nginx's own messages ("syntax is ok").
  for (const line of text.split('\n')) {
    const header = DUMP_HEADER.exec(line.trimEnd());
    if (header) {
      flush();
      path = header[1] ?? '';
      current = [];
    } else {
      current?.push(line);
    }
  }
  flush();
  return files;
}

/** An include argument as a path: relative ones start at the main file's directory. */
export function includePath(source: ConfigSource, pattern: string): string {
  return isAbsolute(pattern) ? pattern : join(source.base, pattern);
}

export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** glob(3) as nginx uses it: `*` and `?` stay within one path segment; `[...]` is a class. */
function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? '';
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) source += '\\[';
      else {
        source += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += ch.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
