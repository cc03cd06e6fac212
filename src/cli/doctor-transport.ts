/**
 * `sluice doctor`'s connection flags: --http2, --cacert FILE, --insecure. The CA file is read and
 * checked here, once, so a wrong path is a usage error (exit 2) before anything is requested.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CaptureFn, Timeline } from '../doctor/index.ts';
import { UsageError } from './command.ts';

export interface Transport {
  readonly http2: boolean;
  /** PEM, trusted beside the system's CAs. */
  readonly ca?: string;
  readonly insecure: boolean;
}

/** For node:util parseArgs. */
export const TRANSPORT_OPTIONS = {
  http2: { type: 'boolean', default: false },
  cacert: { type: 'string' },
  insecure: { type: 'boolean', default: false },
} as const;

export const TRANSPORT_HELP = `Connection:
  --http2            speak HTTP/2: offered by ALPN over https (HTTP/1.1 if the server declines),
                     by prior knowledge (h2c) over http; the report names the protocol used
  --cacert FILE      also trust the CA certificate(s) in FILE (PEM): a private CA, a self-signed
                     server certificate
  --insecure         measure even if the certificate does not verify (and say so)
`;

export function transportFrom(values: {
  readonly http2: boolean;
  readonly cacert?: string | undefined;
  readonly insecure: boolean;
}): Transport {
  const { http2, cacert, insecure } = values;
  if (cacert === undefined) return { http2, insecure };
  if (insecure) {
    throw new UsageError('--insecure skips the check that --cacert is for: give one or the other');
  }
  return { http2, insecure, ca: readCertificates(cacert) };
}

function readCertificates(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`--cacert: cannot read "${path}" (${code})`);
  }
  const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  try {
    if (first === undefined) throw new Error('no certificate');
    new X509Certificate(first);
  } catch {
    throw new UsageError(
      `--cacert: "${path}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  return pem;
}

/** The capture, with the flags applied to every request it makes. */
export function withTransport(capture: CaptureFn, transport: Transport): CaptureFn {
  return (request) =>
    capture({
      ...request,
      ...(transport.http2 ? { http2: true } : {}),
      ...(transport.ca === undefined ? {} : { ca: transport.ca }),
      ...(transport.insecure ? { insecure: true } : {}),
    });
}

/** What the report should be read with: HTTP/2 declined, a certificate accepted by --insecure. */
export function transportNotes(timelines: readonly Timeline[], transport: Transport): string[] {
  const notes: string[] = [];
  for (const t of timelines) {
    const host = new URL(t.url).host;
    if (transport.http2 && t.protocol === 'http/1.1') {
      notes.push(`${host} did not agree to HTTP/2 (ALPN chose http/1.1): measured over HTTP/1.1`);
    }
    const problem = t.certificate?.error;
    if (transport.insecure && problem !== undefined) {
      notes.push(
        `${host}'s certificate does not verify (${problem}): measured anyway, as --insecure asks`,
      );
    }
  }
  return notes;
}
