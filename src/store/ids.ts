import { randomBytes } from 'node:crypto';

/** RFC 4648 base32 alphabet, lower-cased: 32 symbols, so `byte & 31` picks one uniformly. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** `usr_…`, `key_…`, `cnv_…`, `msg_…` followed by 20 random base32 characters (100 bits). */
export function newId(prefix: 'usr' | 'key' | 'cnv' | 'msg'): string {
  let id = `${prefix}_`;
  for (const byte of randomBytes(20)) id += ALPHABET.charAt(byte & 31);
  return id;
}
