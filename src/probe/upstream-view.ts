/**
 * What Sluice saw of its upstream's answer, told to the doctor. A stream the doctor asks for
 * (`--key`, with its header) through a Sluice gateway ends with one comment line — ignored by
 * every SSE client — that lists how the upstream's answer reached Sluice: when each read came
 * and how many events it completed. The doctor reads it like its own arrivals, so it can say
 * whether the tokens were already held before Sluice (a relay at BASE_URL, a proxy in front of
 * it, the egress proxy) or only after it. Plain types, no Node imports: the web page's bundle
 * may read them too.
 */

/** One upstream read: ms since the upstream's response headers, bytes, events it completed. */
export type UpstreamRead = readonly [ms: number, bytes: number, events: number];

export interface UpstreamView {
  readonly reads: readonly UpstreamRead[];
  /** Reads past `UPSTREAM_READS` were not listed. */
  readonly truncated?: boolean;
  /**
   * For admins only, what names the hops between Sluice and the provider: whether Sluice went
   * out through a forward proxy, and the upstream response's `Server` and `Via`.
   */
  readonly egress?: 'direct' | 'proxy';
  readonly server?: string;
  readonly via?: string;
}

/** The comment's first word. */
export const UPSTREAM_COMMENT = 'sluice-upstream';

/**
 * Reads listed at most: the doctor asks for a short answer (120 tokens), and any caller may ask
 * for the list, which each stream keeps until it ends (12 KiB at most).
 */
export const UPSTREAM_READS = 512;

/** Header values kept at most, in characters. */
const VALUE_CHARS = 256;

/** The comment line (with its blank line) that carries `view`. */
export function upstreamComment(view: UpstreamView): string {
  return `: ${UPSTREAM_COMMENT} ${JSON.stringify(view)}\n\n`;
}

/**
 * The view in a comment's text (without its leading colon and space), or undefined when the
 * comment is another one or does not hold a well-formed view: it comes over the network.
 */
export function parseUpstreamComment(comment: string): UpstreamView | undefined {
  if (!comment.startsWith(`${UPSTREAM_COMMENT} {`)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(comment.slice(UPSTREAM_COMMENT.length + 1));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { reads, truncated, egress, server, via } = value as Record<string, unknown>;
  if (!Array.isArray(reads) || reads.length > UPSTREAM_READS || !reads.every(isRead)) {
    return undefined;
  }
  return {
    reads: reads as UpstreamRead[],
    ...(truncated === true ? { truncated: true } : {}),
    ...(egress === 'direct' || egress === 'proxy' ? { egress } : {}),
    ...(typeof server === 'string' ? { server: server.slice(0, VALUE_CHARS) } : {}),
    ...(typeof via === 'string' ? { via: via.slice(0, VALUE_CHARS) } : {}),
  };
}

function isRead(read: unknown): boolean {
  return (
    Array.isArray(read) &&
    read.length === 3 &&
    read.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)
  );
}
