/** Failures that never become an HTTP answer: configuration, the CLI, deployment files. */
import { LocalError } from './base.ts';

export class ConfigError extends LocalError {
  readonly code = 'invalid_config';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Bad arguments a command found itself (parseArgs raises its own): exit 2 with a usage hint. */
export class UsageError extends LocalError {
  readonly code = 'usage_error';
}

/** A failure to report as `sluice <command>: <message>` with exit 1. */
export class CommandFailure extends LocalError {
  readonly code = 'command_failed';
}

/** An nginx configuration file Sluice read or wrote does not parse. */
export class NginxSyntaxError extends LocalError {
  readonly code = 'nginx_syntax';
  readonly file: string;
  readonly line: number;
  /** The message without the place. */
  readonly reason: string;
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** The server certificate a TLS connection was refused for, as `sluice doctor` reports it. */
export interface CertificateFacts {
  /** The subject's common name (or organisation). */
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  /** The names it is valid for, from subjectAltName (`DNS:…`, `IP Address:…`). */
  readonly names: readonly string[];
  /** Why verification failed (the OpenSSL or Node code); absent when it passed. */
  readonly error?: string;
}

/** A TLS peer whose certificate did not verify; carries the certificate, for the report. */
export class CertificateError extends LocalError {
  readonly code = 'certificate_untrusted';
  /** OpenSSL's or Node's code for it (`DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`). */
  readonly reason: string;
  readonly certificate: CertificateFacts;
  constructor(reason: string, certificate: CertificateFacts) {
    super(`the certificate did not verify: ${reason}`);
    this.reason = reason;
    this.certificate = certificate;
  }
}

export class AddressError extends LocalError {
  readonly code = 'invalid_address';
}

/** The address to listen on cannot be had: one line saying which setting to change. */
export class ListenError extends LocalError {
  readonly code = 'cannot_listen';
  constructor(host: string, port: number, reason: string | undefined) {
    super(listenMessage(host, port, reason));
  }
}

function listenMessage(host: string, port: number, reason: string | undefined): string {
  const where = `${host}:${port}`;
  switch (reason) {
    case 'EADDRINUSE':
      return `Port ${port} is already in use on ${host}: set PORT (or --port) to a free port, or stop what listens on ${where}.`;
    case 'EACCES':
      return `Port ${port} needs privileges this process does not have: set PORT (or --port) to 1024 or above, and put a proxy in front for port ${port}.`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine: set HOST (or --host) to one of its addresses, 127.0.0.1 or 0.0.0.0.`;
    default:
      return `Cannot listen on ${where}${reason === undefined ? '' : ` (${reason})`}: check HOST and PORT.`;
  }
}
