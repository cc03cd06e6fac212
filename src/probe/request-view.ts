/**
 * The probe's answer to "what did my request look like when it reached Sluice?", carried in the
 * first probe event as `request` (issue 15, silent hops). The doctor compares it with what it
 * sent: headers a hop added name the hop, and the way header names are spelt shows a hop that
 * adds none. Plain types, no Node imports: the web page's bundle reads them too.
 */

/** The header the doctor sends with a per-run token; its spelling is deliberately mixed case. */
export const DOCTOR_HEADER = 'x-Sluice-doctor';

/** The kind of an address, reflected instead of the address itself. */
export type AddressKind =
  'loopback' | 'private' | 'link-local' | 'public' | 'obfuscated' | 'unknown';

/** `request` in the first probe event. */
export interface ProbeRequestView {
  /** The HTTP version of the last hop's request to Sluice: "1.0", "1.1". */
  readonly http_version: string;
  /**
   * The hop headers that arrived (lower-case names), repeated ones joined with ", ". Addresses
   * are replaced by their kind: `X-Forwarded-For: public, private`.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** How each reflected header name, `host` and the doctor's header were spelt on arrival. */
  readonly spelling: Readonly<Record<string, string>>;
  /** The doctor's token, echoed: another token means a cache replayed someone else's stream. */
  readonly doctor?: string;
  /** Hop headers left out to keep the reflection small. */
  readonly omitted?: number;
}

/** Limits on the reflection: the probe is served to anyone. */
export const REFLECTION_LIMITS = {
  /** Characters per header value. */
  valueChars: 256,
  /** Hop headers reflected. */
  headers: 24,
  /** Headers reflected per open family (`fastly-*`, `x-envoy-*`). */
  perFamily: 4,
  /** Addresses per list (`X-Forwarded-For`, `Forwarded`). */
  addresses: 16,
} as const;

/** A token the doctor may send and the probe may echo. */
export const DOCTOR_TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
