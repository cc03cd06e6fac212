/** What the HTTP layer and the wire-format renderers agree on. */

/** Per-request values a renderer must not invent itself, so that renderers stay pure. */
export interface ReplyContext {
  /** Random hex; each format wraps it in its own prefix (`chatcmpl-`, `resp_`, `msg_`). */
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
}

/**
 * A stream as pre-rendered SSE frames. `head` goes out at once, each of `tokens` after one
 * token's delay, `tail` straight after the last token.
 */
export interface StreamPlan {
  readonly head: readonly string[];
  readonly tokens: readonly string[];
  readonly tail: readonly string[];
}

export type DemoResponse =
  | { readonly kind: 'json'; readonly body: unknown }
  | { readonly kind: 'stream'; readonly plan: StreamPlan };

/** One POST endpoint of one wire format. */
export interface DemoEndpoint {
  readonly path: string;
  /** The request-id header that format's SDK reads (`x-request-id`, `request-id`). */
  readonly requestIdHeader: string;
  respond(body: Readonly<Record<string, unknown>>, context: ReplyContext): DemoResponse;
}
