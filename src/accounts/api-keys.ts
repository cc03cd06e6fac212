/**
 * Sluice API keys: `sk-sluice-` and 40 random base62 characters (≈238 bits). Only a SHA-256 of
 * the key is stored — a fast hash is right for a random secret of that size — plus a visible
 * prefix to recognise it by.
 */
import { hash, randomBytes } from 'node:crypto';

export const KEY_PREFIX = 'sk-sluice-';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_CHARS = 40;
/** `sk-sluice-` plus six characters: enough to tell keys apart in a list, useless to an attacker. */
const VISIBLE = KEY_PREFIX.length + 6;

export interface NewApiKey {
  /** Shown once, at creation. */
  readonly key: string;
  readonly prefix: string;
  readonly hash: string;
}

export function generateKey(): NewApiKey {
  let random = '';
  while (random.length < RANDOM_CHARS) {
    for (const byte of randomBytes(RANDOM_CHARS)) {
      // Rejection sampling keeps every character equally likely.
      if (byte < 248 && random.length < RANDOM_CHARS) random += ALPHABET.charAt(byte % 62);
    }
  }
  const key = KEY_PREFIX + random;
  return { key, prefix: key.slice(0, VISIBLE), hash: hashKey(key) };
}

export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** A visible, harmless part of any credential for logs and records. */
export function visiblePrefix(key: string): string {
  return key.startsWith(KEY_PREFIX)
    ? key.slice(0, VISIBLE)
    : key.slice(0, Math.min(8, Math.max(4, key.length - 8)));
}
