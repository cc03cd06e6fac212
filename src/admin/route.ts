/** What an admin API route is: a path pattern below `/api/admin/` with a handler per method. */
import type { Route } from '../http/index.ts';

export interface AdminRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The JSON object body, read only by handlers that take one. */
  body(): Promise<Record<string, unknown>>;
}

/** JSON, as most answers are; or a file to save (`file`), such as a CSV export. */
export type AdminReply =
  | { readonly status: number; readonly body: unknown }
  | { readonly status: number; readonly file: AdminFile };

export interface AdminFile {
  /** The media type with its charset, e.g. `text/csv; charset=utf-8`. */
  readonly contentType: string;
  /** What a browser saves it as (`Content-Disposition: attachment`). */
  readonly filename: string;
  readonly text: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type AdminHandler = (request: AdminRequest) => Promise<AdminReply>;

export type AdminRoute = Route<AdminHandler>;

export const ADMIN_PREFIX = '/api/admin';
