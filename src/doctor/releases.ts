/**
 * Releases: what a hop let through at once. Reads that arrive back to back (a 4 KiB flush may take
 * two reads) merge into one release; a healthy stream has one release per event, a buffering hop
 * a few big ones. Their byte sizes and spacing say which kind of buffer it is.
 */
import { gaps, median, shareNear } from './stats.ts';
import type { Timeline } from './timeline.ts';

export interface Release {
  /** Arrival of its first read. */
  readonly t: number;
  /** Wire bytes (compressed, if the hop compresses). */
  readonly bytes: number;
  readonly firstRead: number;
  readonly lastRead: number;
  /** Events completed by its reads. */
  readonly events: number;
}

/** Merges reads closer than `mergeGapMs` and counts the events each release completed. */
export function releasesOf(timeline: Timeline, mergeGapMs: number): Release[] {
  const out: { t: number; bytes: number; firstRead: number; lastRead: number; events: number }[] =
    [];
  let lastT = Number.NEGATIVE_INFINITY;
  timeline.reads.forEach((read, index) => {
    const current = out.at(-1);
    if (current !== undefined && read.t - lastT < mergeGapMs) {
      current.bytes += read.bytes;
      current.lastRead = index;
    } else {
      out.push({ t: read.t, bytes: read.bytes, firstRead: index, lastRead: index, events: 0 });
    }
    lastT = read.t;
  });
  for (const event of timeline.events) {
    const release = out.find((r) => event.read >= r.firstRead && event.read <= r.lastRead);
    if (release !== undefined) release.events++;
  }
  return out;
}

/** Buffer sizes that name a hop (research notes §1.1: nginx 4–8 KiB, zlib 16 KiB, Starlette 32 KiB). */
export const KNOWN_BUFFER_SIZES = [4096, 8192, 16384, 32768, 65536] as const;

export interface ReleaseShape {
  /** Median bytes per release, the end-of-stream flush left out (one release is enough). */
  readonly sizeBytes: number | undefined;
  /** Most releases are within 15 % of that size. */
  readonly sizesCluster: boolean;
  /** The known buffer size the releases match, if any. */
  readonly knownSize: number | undefined;
  /** Median time between releases. */
  readonly periodMs: number | undefined;
  /** Most gaps between releases are within 25 % of that period. */
  readonly periodic: boolean;
}

/**
 * The shape of the releases that carried events. The last one is left out of the size: the end of
 * the stream flushes whatever is left. A hop's first flush also carries the response headers
 * (nginx keeps them in the same proxy_buffer_size buffer), so clustering tolerates one outlier.
 */
export function releaseShape(releases: readonly Release[]): ReleaseShape {
  const carrying = releases.filter((r) => r.events > 0);
  // One full buffer before the final flush is a size too: a 16 KiB buffer in an 18 KiB stream.
  const sized = carrying.slice(0, -1).map((r) => r.bytes);
  const sizeBytes = median(sized);
  const sizesCluster = sizeBytes !== undefined && shareNear(sized, sizeBytes, 0.15) >= 0.6;
  const knownSize =
    sizeBytes === undefined || !sizesCluster
      ? undefined
      : KNOWN_BUFFER_SIZES.find((size) => Math.abs(sizeBytes - size) <= size * 0.15);
  const periods = gaps(carrying.slice(0, -1).map((r) => r.t));
  const periodMs = periods.length >= 2 ? median(periods) : undefined;
  const periodic = periodMs !== undefined && shareNear(periods, periodMs, 0.25) >= 0.6;
  return { sizeBytes, sizesCluster, knownSize, periodMs, periodic };
}
