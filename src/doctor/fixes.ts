/**
 * Choosing the fixes for a cause: the named hops' own fixes where the table has one, the generic
 * advice otherwise, and Sluice's side of it where Sluice can help (keepalives against idle cuts).
 */
import type { CertificateProblem } from './certificate.ts';
import { FIX_TABLE, type FixEntry, type FixKind } from './fix-table.ts';
import { HOP_NAMES, type HopId } from './fingerprints.ts';
import { formatMs } from './stats.ts';

export interface Fix {
  /** The hop the fix is for; `any` when no hop was named; `sluice` for Sluice's own settings. */
  readonly hop: HopId | 'any' | 'sluice';
  readonly text: string;
  readonly where?: string;
  readonly snippet?: string;
}

export interface FixDetail {
  /** The measured cut, for timeouts. */
  readonly cutMs?: number;
  /** The measured flush period. */
  readonly periodMs?: number;
  /** A certificate that did not verify: why, for which host, and the names it is for. */
  readonly certificate?: {
    readonly problem: CertificateProblem;
    readonly code: string;
    readonly host: string;
    readonly names: string;
  };
}

/** The named hop's own fix for this kind of problem, if the table has one. */
export function hopFix(kind: FixKind, hop: HopId): Fix | undefined {
  const entry = FIX_TABLE[hop]?.[kind];
  return entry === undefined ? undefined : withHop(hop, entry);
}

/** The fixes of `hop` where it stands between Sluice and its provider, one per text. */
export function fixesBehindSluice(kinds: readonly FixKind[], hop: HopId): Fix[] {
  const fixes: Fix[] = [];
  for (const kind of kinds) {
    const entry = FIX_TABLE[hop]?.[kind];
    if (entry === undefined) continue;
    const fix: Fix = {
      ...withHop(hop, entry),
      text: entry.behindSluice ?? entry.text,
      where: `in the ${HOP_NAMES[hop]} between Sluice and its provider`,
    };
    if (!fixes.some((f) => f.text === fix.text)) fixes.push(fix);
  }
  return fixes;
}

/** Advice for when no hop is named, with the measured numbers. */
export function genericFix(kind: FixKind, detail: FixDetail = {}): Fix {
  return { hop: 'any', text: genericText(kind, detail) };
}

/** One line per fix, for the JSON `fix` field and the report. */
export function fixSummary(fixes: readonly Fix[]): string {
  return fixes
    .map((f) => {
      const who = f.hop === 'any' ? '' : f.hop === 'sluice' ? 'Sluice: ' : `${HOP_NAMES[f.hop]}: `;
      const snippet =
        f.snippet === undefined
          ? ''
          : ` [${f.where ?? 'config'}: ${f.snippet.replaceAll('\n', ' ')}]`;
      return `${who}${f.text}${snippet}`;
    })
    .join('\n');
}

function withHop(hop: HopId, entry: FixEntry): Fix {
  return {
    hop,
    text: entry.text,
    ...(entry.where === undefined ? {} : { where: entry.where }),
    ...(entry.snippet === undefined ? {} : { snippet: entry.snippet }),
  };
}

/** Sluice's side of an idle cut: keepalives shorter than the hop's limit. */
export function keepaliveFix(cutMs: number | undefined): Fix {
  const limit = cutMs === undefined ? "the hop's limit" : `about ${formatMs(cutMs)}`;
  return {
    hop: 'sluice',
    text:
      `Sluice sends keepalive comments during silences (SLUICE_KEEPALIVE, default 15 s; the ` +
      `probe's --silence-ms gap deliberately sends none). They keep real streams alive through ` +
      `an idle limit only if the interval is shorter than the limit, here ${limit}: raise the ` +
      `limit, or set SLUICE_KEEPALIVE below it.`,
  };
}

function genericText(kind: FixKind, detail: FixDetail): string {
  const cut = detail.cutMs === undefined ? '' : ` (about ${formatMs(detail.cutMs)})`;
  const period = detail.periodMs === undefined ? '' : ` (about ${formatMs(detail.periodMs)})`;
  switch (kind) {
    case 'buffering':
      return (
        'A hop holds the response in a buffer, and no header names it. Turn response buffering ' +
        "off for Sluice's routes on every proxy in the chain (nginx: proxy_buffering off; " +
        'Caddy: flush_interval -1; Varnish: do_stream; Cloudflare: response body buffering ' +
        'none; IIS/ARR: responseBufferLimit="0"). Run the doctor with --compare against a URL ' +
        'that skips a hop to find which one.'
      );
    case 'compression':
      return (
        'A hop compresses the event stream. Keep text/event-stream out of every compressor ' +
        '(nginx gzip_types, Apache DEFLATE, Caddy encode, HAProxy compression type, CDN ' +
        'compression rules).'
      );
    case 'idle-timeout':
      return (
        `A hop ends responses that stay silent${cut}. Raise its idle or read timeout for ` +
        "Sluice's routes: nginx proxy_read_timeout, HAProxy timeout server/client, Apache " +
        'ProxyTimeout, Varnish between_bytes_timeout, AWS ALB idle timeout, Cloudflare 100–120 s.'
      );
    case 'total-timeout':
      return (
        `A hop limits how long a response may last${cut}, however busy it is; keepalives do not ` +
        'help. Raise its request or response timeout: Google Cloud LB timeoutSec, Cloud Run ' +
        '--timeout, Vercel maxDuration, Traefik readTimeout, Envoy route timeout.'
      );
    case 'cache':
      return (
        'A cache stored the stream and replays it to later requests. Exclude /v1/, /api/ and ' +
        "/sluice/ from caching: something overrides Sluice's Cache-Control: no-cache."
      );
    case 'periodic':
      return (
        `A hop releases data on a timer${period}, not per event. Known: HAProxy without ` +
        '`option http-no-delay` (the kernel holds partial packets up to 200 ms), Go reverse ' +
        'proxies with a FlushInterval (Traefik, fabio: 100 ms), sockets without TCP_NODELAY ' +
        '(Nagle, 40–200 ms).'
      );
    case 'one-behind':
      return (
        'Each event waits for the next one: a compressor that does not flush per event ' +
        '(express compression, Koa, IIS dynamic compression) or IIS/ANCM response buffering. ' +
        'Keep text/event-stream out of compression and turn response buffering off.'
      );
    case 'headers-held':
      return (
        'A hop sends the response headers only with the first body bytes (Caddy encode waits ' +
        'for minimum_length; some app servers wait for the first write). Slow first tokens then ' +
        'trip first-byte timeouts (Cloudflare 100 s, Vercel Edge 25 s). Exclude the stream from ' +
        "that hop's compression or buffering."
      );
    case 'certificate':
      return certificateText(detail.certificate);
    case 'not-streaming':
      return (
        'The whole answer came as one body. Either the server does not stream this request ' +
        '(check that it honours stream: true), or a hop buffered it: test the chain without ' +
        "the model against a Sluice's /sluice/probe, or --compare with the upstream directly."
      );
  }
}

/** What to do about a certificate, by why it failed; --cacert and --insecure are the doctor's side. */
function certificateText(detail: FixDetail['certificate']): string {
  const anyway = 'To measure the stream meanwhile, run the doctor with --insecure.';
  switch (detail?.problem) {
    case 'self-signed':
      return (
        'The server presents a self-signed certificate. Give the doctor that certificate (or ' +
        'the CA that signed it) with --cacert FILE, or skip the check with --insecure. Browsers ' +
        "and SDKs refuse it too: serve a certificate from a public CA (Let's Encrypt), or " +
        'install the CA on every client (Node: NODE_EXTRA_CA_CERTS).'
      );
    case 'unknown-issuer':
      return (
        'This machine does not trust the CA that issued the certificate. A private CA: give it ' +
        'to the doctor with --cacert FILE (and to other clients: the system store, ' +
        'NODE_EXTRA_CA_CERTS). A public CA: the server sends its certificate without the ' +
        'intermediate, which browsers often fetch but Node, curl and the SDKs do not: serve the ' +
        'full chain (nginx: ssl_certificate fullchain.pem). ' +
        anyway
      );
    case 'expired':
      return (
        'Renew the certificate (certbot renew, or the ACME client that issued it) and reload ' +
        "the server; if it looks current, check this machine's clock. " +
        anyway
      );
    case 'not-yet-valid':
      return `The certificate is not valid yet by this machine's clock: check the clock (NTP) here and on the server. ${anyway}`;
    case 'wrong-name':
      return (
        `The certificate is for ${detail.names}, not ${detail.host}: use a URL with one of those ` +
        `names, or get a certificate that includes ${detail.host}. ${anyway}`
      );
    case 'other':
    case undefined:
      return (
        `The certificate was refused${detail === undefined ? '' : ` (${detail.code})`}: see ` +
        `what the server sends with \`openssl s_client -connect HOST:PORT -showcerts\`. ${anyway}`
      );
  }
}
