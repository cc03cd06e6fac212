/**
 * Reading a client's or a provider's JSON without trusting its shape, and refusing what a
 * translation cannot carry with a 400 that names the field.
 */
import { InvalidFieldError } from '../../errors/index.ts';
import { isObject } from '../usage.ts';

export { isObject };

export type JsonObject = Record<string, unknown>;

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function asArray(value: unknown): readonly unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/** Absent or `null`: the caller left the field to its default. */
export function isUnset(value: unknown): value is null | undefined {
  return value === undefined || value === null;
}

/** `value` as an object, or a 400 naming `param`. */
export function objectAt(value: unknown, param: string): JsonObject {
  if (isObject(value)) return value;
  throw new InvalidFieldError(param, `${param} must be an object.`);
}

/** `value` as an array, or a 400 naming `param`. */
export function arrayAt(value: unknown, param: string): readonly unknown[] {
  if (Array.isArray(value)) return value;
  throw new InvalidFieldError(param, `${param} must be an array.`);
}

/** `value` as a string, or a 400 naming `param`. */
export function stringAt(value: unknown, param: string): string {
  if (typeof value === 'string') return value;
  throw new InvalidFieldError(param, `${param} must be a string.`);
}

/** The 400 for a field the other API has no way to honour. */
export function untranslatable(param: string, why: string): InvalidFieldError {
  return new InvalidFieldError(param, `${param} cannot be translated: ${why}`);
}

/** Copies `value` into `out[key]` unless it is unset. */
export function setIfPresent(out: JsonObject, key: string, value: unknown): void {
  if (!isUnset(value)) out[key] = value;
}
