/**
 * The server certificate as the doctor reports it, and what a verification failure means. Plain
 * values, no Node: the browser page classifies with the same code (see browser.ts).
 */

import type { CertificateFacts } from '../errors/index.ts';

export type CertificateSummary = CertificateFacts;

export type CertificateProblem =
  'self-signed' | 'unknown-issuer' | 'expired' | 'not-yet-valid' | 'wrong-name' | 'other';

/** OpenSSL's verify codes as Node reports them (`X509_V_ERR_*` without the prefix), and Node's own. */
const PROBLEMS: Readonly<Record<string, CertificateProblem>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown-issuer',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown-issuer',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown-issuer',
  CERT_UNTRUSTED: 'unknown-issuer',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'wrong-name',
  HOSTNAME_MISMATCH: 'wrong-name',
  IP_ADDRESS_MISMATCH: 'wrong-name',
  CERT_REVOKED: 'other',
  CERT_SIGNATURE_FAILURE: 'other',
  CERT_CHAIN_TOO_LONG: 'other',
  INVALID_CA: 'other',
  INVALID_PURPOSE: 'other',
  CERT_REJECTED: 'other',
};

/** The kind of certificate problem behind an error code, or undefined if the code is not one. */
export function certificateProblem(code: string | undefined): CertificateProblem | undefined {
  return code === undefined ? undefined : PROBLEMS[code];
}

/** One phrase per problem, for titles: "self-signed", "expired on …". */
export function problemPhrase(
  problem: CertificateProblem,
  certificate?: CertificateSummary,
): string {
  switch (problem) {
    case 'self-signed':
      return 'self-signed (no CA this machine trusts vouches for it)';
    case 'unknown-issuer':
      return `issued by ${certificate?.issuer ?? 'a CA'}, which this machine does not trust (a private CA, or a chain served without its intermediate)`;
    case 'expired':
      return `expired${certificate === undefined ? '' : ` on ${certificate.validTo}`}`;
    case 'not-yet-valid':
      return `not valid yet${certificate === undefined ? '' : ` (from ${certificate.validFrom})`}`;
    case 'wrong-name':
      return `issued for ${namesOf(certificate)}, not this host`;
    case 'other':
      return 'rejected';
  }
}

/** The certificate's names, or its subject when it lists none. */
export function namesOf(certificate: CertificateSummary | undefined): string {
  if (certificate === undefined) return 'other names';
  return certificate.names.length > 0 ? certificate.names.join(', ') : certificate.subject;
}
