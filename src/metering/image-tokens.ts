/**
 * What an image in a prompt costs, as OpenAI counts it for GPT-4o-class models: 85 tokens at
 * `detail: "low"`; otherwise the image is fitted within 2048 × 2048, its shorter side scaled
 * down to 768, and each 512-pixel tile of that costs 170 more. The size is read from the image's
 * own header when it is inline (PNG, JPEG, GIF, WebP in a `data:` URL or Anthropic's base64
 * source); an image by URL, or one whose header says nothing, counts as 1024 × 1024 (765).
 */

const BASE = 85;
const PER_TILE = 170;
/** 1024 × 1024: four tiles. */
export const UNKNOWN_IMAGE_TOKENS = BASE + 4 * PER_TILE;

/** Enough of a base64 image to reach a JPEG's frame header past a typical EXIF block. */
const HEAD_CHARS = 96 * 1024;

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** Tokens for an image given as base64 (`data`) or not at all (a URL: `undefined`). */
export function imageTokens(base64: string | undefined, detail?: unknown): number {
  if (detail === 'low') return BASE;
  const size = base64 === undefined ? undefined : imageSize(decodeHead(base64));
  return size === undefined ? UNKNOWN_IMAGE_TOKENS : tokensFor(size);
}

/** The base64 part of a `data:` URL, or undefined for any other URL. */
export function dataUrlBase64(url: string): string | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  return comma < 0 || !url.slice(0, comma).endsWith(';base64') ? undefined : url.slice(comma + 1);
}

export function tokensFor({ width, height }: ImageSize): number {
  const fit = Math.min(1, 2048 / Math.max(width, height));
  let w = width * fit;
  let h = height * fit;
  const shorter = Math.min(w, h);
  if (shorter > 768) {
    w = (w * 768) / shorter;
    h = (h * 768) / shorter;
  }
  return BASE + PER_TILE * Math.ceil(w / 512) * Math.ceil(h / 512);
}

function decodeHead(base64: string): Buffer {
  // Whole quanta only: four characters are three bytes.
  const chars = Math.min(base64.length, HEAD_CHARS) & ~3;
  return Buffer.from(base64.slice(0, chars), 'base64');
}

/** Width and height from an image's header, for the formats the chat APIs take. */
export function imageSize(bytes: Buffer): ImageSize | undefined {
  const size = pngSize(bytes) ?? gifSize(bytes) ?? webpSize(bytes) ?? jpegSize(bytes);
  return size !== undefined && size.width > 0 && size.height > 0 ? size : undefined;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(b: Buffer): ImageSize | undefined {
  if (b.length < 24 || !b.subarray(0, 8).equals(PNG)) return undefined;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function gifSize(b: Buffer): ImageSize | undefined {
  if (b.length < 10 || b.toString('latin1', 0, 4) !== 'GIF8') return undefined;
  return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
}

function webpSize(b: Buffer): ImageSize | undefined {
  if (b.length < 30 || b.toString('latin1', 0, 4) !== 'RIFF') return undefined;
  if (b.toString('latin1', 8, 12) !== 'WEBP') return undefined;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
  }
  if (chunk === 'VP8 ')
    return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  return undefined;
}

/** A JPEG's size is in its first frame header (SOF0–SOF15 but DHT, JPG and DAC). */
function jpegSize(b: Buffer): ImageSize | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 9 < b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1] ?? 0;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return { height: b.readUInt16BE(at + 5), width: b.readUInt16BE(at + 7) };
    at += 2 + b.readUInt16BE(at + 2);
  }
  return undefined;
}
