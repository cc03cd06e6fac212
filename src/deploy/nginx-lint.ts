/**
 * `sluice nginx --lint`: a config in, findings out. Every location with `proxy_pass` is taken
 * as one Sluice's streams pass through (a linter cannot tell which upstream is Sluice).
 */
import { type Finding, type LintResult, sortFindings } from './findings.ts';
import { cargoFindings } from './nginx-cargo.ts';
import { loadNginxConfig } from './nginx-include.ts';
import { locationFindings, type RuleOptions } from './nginx-rules.ts';
import { proxyLocations, rootScope } from './nginx-scopes.ts';
import type { ConfigSource } from './nginx-sources.ts';

export const DEFAULT_RULE_OPTIONS: RuleOptions = { keepaliveMs: 15_000 };

/** Throws NginxSyntaxError (with file and line) when the config cannot be read or parsed. */
export function lintNginx(
  source: ConfigSource,
  options: RuleOptions = DEFAULT_RULE_OPTIONS,
): LintResult {
  const config = loadNginxConfig(source);
  const locations = proxyLocations(rootScope(config.directives));
  const findings: Finding[] = [
    ...locations.flatMap((location) => locationFindings(location, options)),
    ...cargoFindings(locations),
  ];
  for (const include of config.unfollowed) {
    findings.push({
      severity: 'warning',
      rule: 'include-not-followed',
      file: include.file,
      line: include.line,
      message: `include ${include.args.join(' ')} was not read: ${source.includesUnavailable ?? ''}`,
      fix: 'lint the file on disk, or `nginx -T | sluice nginx --lint -`',
    });
  }
  if (locations.length === 0) {
    findings.push({
      severity: 'warning',
      rule: 'no-proxy-location',
      file: source.main,
      line: 1,
      message: 'no location with proxy_pass: nothing here passes streams to Sluice',
      fix: 'lint the file that holds the server block, or the output of `nginx -T`',
    });
  }
  return {
    findings: sortFindings(findings, config.files),
    locations: locations.map((l) => l.label),
    files: config.files,
  };
}
