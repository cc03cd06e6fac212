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

export class AddressError extends LocalError {
  readonly code = 'invalid_address';
}
