/** What an admin API route is: a path pattern below `/api/admin/` with a handler per method. */
import type { Route } from '../http/index.ts';

export interface AdminRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The JSON object body, read only by handlers that take one. */
  body(): Promise<Record<string, unknown>>;
}

export interface AdminReply {
  readonly status: number;
  readonly body: unknown;
}

export type AdminHandler = (request: AdminRequest) => Promise<AdminReply>;

export type AdminRoute = Route<AdminHandler>;

export const ADMIN_PREFIX = '/api/admin';
