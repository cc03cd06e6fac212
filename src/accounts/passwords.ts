/**
 * Passwords: scrypt from node:crypto with a random salt, parameters stored beside the hash so
 * they can be raised later without breaking existing accounts.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { WeakPasswordError } from '../errors/index.ts';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAXMEM = 64 * 1024 * 1024;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEY_LENGTH, { N, r: R, p: P, maxmem: MAXMEM });
  return ['scrypt', N, R, P, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return timingSafeEqual(actual, expected);
}

/** The most common passwords of leaked lists: long enough to pass the length rule, still useless. */
const COMMON = new Set([
  'password123',
  'password1234',
  '1234567890',
  '12345678910',
  'qwertyuiop',
  'iloveyou123',
  'administrator',
  'changeme123',
  'letmein1234',
  'welcome1234',
]);

/** NIST SP 800-63B: length matters, composition rules do not; refuse known-bad ones. */
export function checkPasswordStrength(password: string, username: string): void {
  const problem =
    password.length < 10
      ? 'have at least 10 characters'
      : password.length > 1024
        ? 'have at most 1024 characters'
        : COMMON.has(password.toLowerCase()) || /^(.)\1+$/.test(password)
          ? 'not be one of the most common passwords'
          : password.toLowerCase().includes(username.toLowerCase())
            ? 'not contain the username'
            : undefined;
  if (problem !== undefined) {
    throw new WeakPasswordError(problem);
  }
}
