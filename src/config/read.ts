/** Reading configuration values: the file, the sources' precedence, small text helpers. */
import { readFileSync } from 'node:fs';

export type FileValue = unknown;

export function readConfigFile(
  path: string,
  readFile: (p: string) => string,
  problems: string[],
): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    problems.push(
      `SLUICE_CONFIG / --config names ${path}, which cannot be read (${(error as Error).message}).`,
    );
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
    problems.push(`The config file ${path} must hold one JSON object.`);
  } catch (error) {
    problems.push(`The config file ${path} is not valid JSON: ${(error as Error).message}.`);
  }
  return {};
}

export function convert<T>(
  picked: { value: FileValue; source: string } | undefined,
  fallback: T,
  problems: string[],
  expected: string,
  parse: (value: FileValue) => T | undefined,
): T {
  if (picked === undefined) return fallback;
  const parsed = parse(picked.value);
  if (parsed === undefined) {
    problems.push(`${picked.source} must be ${expected}; got ${JSON.stringify(picked.value)}.`);
    return fallback;
  }
  return parsed;
}

export function lookup(obj: Record<string, unknown>, dotted: string): FileValue {
  let current: unknown = obj;
  for (const part of dotted.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** An http(s) URL from a variable (`name`), or undefined with the reason in `problems`. */
export function httpUrl(
  text: string,
  name: string,
  where: string,
  problems: string[],
): URL | undefined {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // said below
  }
  problems.push(`${where}: ${name} is not an http(s) URL: "${text}".`);
  return undefined;
}
