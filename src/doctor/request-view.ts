/**
 * Reading the probe's `request` field (src/probe/request-view.ts): what the request looked like
 * when it reached Sluice. It comes off the network, so every part is checked and anything
 * unexpected is dropped rather than trusted. No Node imports: the web page reads it too.
 */
import { DOCTOR_HEADER } from '../probe/request-view.ts';
import type { RequestView } from './timeline.ts';

export { DOCTOR_HEADER };

/** The first probe event's `request`, or undefined when it is absent or malformed. */
export function requestViewOf(value: unknown): RequestView | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const version = record['http_version'];
  const headers = stringRecord(record['headers']);
  const spelling = stringRecord(record['spelling']);
  if (typeof version !== 'string' || headers === undefined || spelling === undefined)
    return undefined;
  const doctor = record['doctor'];
  return {
    httpVersion: version,
    headers,
    spelling,
    ...(typeof doctor === 'string' ? { doctor } : {}),
  };
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item === 'string') out[key.toLowerCase()] = item;
  }
  return out;
}

/** A fresh token for one doctor run: the probe echoes it, a replayed stream carries another. */
export function doctorToken(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
