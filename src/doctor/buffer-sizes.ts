/**
 * What a buffer of a given size is, in the hop the bursts are blamed on. A size alone fits several
 * hops — 16 KiB is a zlib chunk, a TLS record, HAProxy's buffer — so the blamed hop decides the
 * explanation (issue 15: plain nginx over TLS releases its proxy buffers in 16 KiB TLS records,
 * and was told "express compression or a TLS record"). Research notes §1.1 for the sizes.
 */
import type { Cause } from './diagnosis.ts';
import { HOP_NAMES, type HopId } from './fingerprints.ts';
import type { Timeline } from './timeline.ts';

const KIB = 1024;

/** Whether `bytes` is within 15 % of `size`, as the burst sizes are matched (releases.ts). */
function near(bytes: number, size: number): boolean {
  return Math.abs(bytes - size) <= size * 0.15;
}

type HintFor = (bytes: number, tls: boolean) => string;

const NGINX: HintFor = (bytes, tls) => {
  if (tls && near(bytes, 16 * KIB)) {
    return 'nginx proxy buffering, sent on in TLS records of ssl_buffer_size, 16 KiB by default';
  }
  if (bytes <= 8 * KIB * 1.15) {
    return 'nginx proxy_buffer_size / proxy_buffers: one memory page, the default';
  }
  return 'nginx proxy_buffer_size / proxy_buffers, set larger than the one-page default';
};

const BY_HOP: Partial<Record<HopId, HintFor>> = {
  nginx: NGINX,
  openresty: NGINX,
  apache: () => "Apache's ProxyIOBufferSize (8 KiB by default) or an output filter's buffer",
  haproxy: () => "HAProxy's buffer, tune.bufsize (16 KiB by default)",
  express: (bytes) =>
    near(bytes, 16 * KIB)
      ? 'a 16 KiB zlib chunk: express compression flushes only when it fills'
      : "express compression's zlib buffer",
  iis: () => "IIS/ARR's response buffer (responseBufferLimit)",
};

/** Guesses by size alone, when no hop is blamed. */
function bySize(bytes: number): string | undefined {
  if (bytes <= 8 * KIB * 1.15) return 'nginx proxy_buffer_size / proxy_buffers: one memory page';
  if (near(bytes, 16 * KIB)) {
    return "a zlib chunk (express compression), HAProxy's tune.bufsize, or nginx sending TLS records of ssl_buffer_size";
  }
  if (near(bytes, 32 * KIB)) return "Starlette's GZip middleware";
  return undefined;
}

/** The explanation for bursts of `bytes`, given the hops blamed; undefined when nothing fits. */
export function bufferHint(
  bytes: number,
  hops: readonly HopId[],
  tls: boolean,
): string | undefined {
  for (const hop of hops) {
    const hint = BY_HOP[hop];
    if (hint !== undefined) return hint(bytes, tls);
  }
  const first = hops[0];
  // A named hop with no known buffer of this kind: say so rather than name another product.
  if (first !== undefined) return `a buffer in ${HOP_NAMES[first]} or in a hop behind it`;
  return bySize(bytes);
}

/** A size-bursts cause with the hint for its own hop appended to the title. */
export function withBufferHint(cause: Cause, timeline: Timeline): Cause {
  const bytes = cause.measures['buffer_bytes'];
  if (cause.id !== 'size-bursts' || bytes === undefined) return cause;
  const hint = bufferHint(bytes, cause.hops, timeline.url.startsWith('https:'));
  return hint === undefined ? cause : { ...cause, title: `${cause.title} (${hint})` };
}
