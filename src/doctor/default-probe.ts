/**
 * The default probe, in a module of its own with no imports beyond types, so the browser page
 * (web/src/doctor) measures the same stream as the CLI without pulling in the CLI's Node capture.
 */
import type { ProbeShape } from './timeline.ts';

/**
 * The default probe: 30 events, 100 ms apart, 512 bytes of padding each. The padding matters:
 * 30 × ~600 B ≈ 18 KiB, well past the 4–8 KiB of an nginx proxy buffer, so a size-triggered
 * buffer fills and flushes several times mid-stream and its size can be read off the bursts
 * (research notes §1.1); a stream smaller than the buffer would only show "fully buffered". It
 * also passes Caddy's 512-byte encode minimum_length, so a compressing Caddy really compresses.
 * 100 ms is slow enough for a busy machine's jitter to stay well under half a gap.
 */
export const DEFAULT_PROBE: ProbeShape = { events: 30, intervalMs: 100, pad: 512, silenceMs: 0 };
