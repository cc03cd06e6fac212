/** The admin API (`/api/admin/…`) and the text forms it shares with the CLI. */
export { AdminApi, type AdminApiOptions } from './admin-api.ts';
export { createdKeyView } from './views.ts';
export { csvField, csvTable, type CsvValue } from './csv.ts';
export { csvFilename, summaryCsv, USAGE_CSV_COLUMNS, usageCsv } from './usage-csv.ts';
export {
  type InvalidFilter,
  type ParsedUsageFilter,
  parseUsageFilter,
  resolveUsageFilter,
  USAGE_FILTERS,
  type UsageFilterName,
  type UsageFilterText,
} from './usage-filter.ts';
export {
  parseExpiry,
  parseInstant,
  parseIsoTime,
  parseEndReason,
  parseModelList,
  parseSpan,
  parseStatusRange,
  parseUsageGroups,
  USAGE_GROUPS,
} from './params.ts';
