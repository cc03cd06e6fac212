/** The deployment kit: nginx config generation and linting (`sluice nginx`). */
export { type Address, AddressError, formatAddress, parseAddress } from './address.ts';
export { type Finding, type LintResult, type Severity } from './findings.ts';
export { countBySeverity, formatLintJson, formatLintText } from './lint-report.ts';
export {
  type NginxSiteOptions,
  type NginxTls,
  renderNginxConf,
  renderNginxSite,
} from './nginx-config.ts';
export { type LoadedConfig, loadNginxConfig } from './nginx-include.ts';
export { DEFAULT_RULE_OPTIONS, lintNginx } from './nginx-lint.ts';
export type { RuleOptions } from './nginx-rules.ts';
export { type ConfigSource, diskSource, splitDump, textSource } from './nginx-sources.ts';
export { type Directive, NginxSyntaxError, parseNginx } from './nginx-syntax.ts';
export { parseNginxSize, parseNginxTime } from './nginx-values.ts';
