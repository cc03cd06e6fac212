/** The admin API (`/api/admin/…`) and the text forms it shares with the CLI. */
export { AdminApi, type AdminApiOptions } from './admin-api.ts';
export { createdKeyView } from './views.ts';
export {
  parseExpiry,
  parseInstant,
  parseIsoTime,
  parseModelList,
  parseSpan,
  parseUsageGroups,
  USAGE_GROUPS,
} from './params.ts';
