/**
 * The admin API under `/api/admin/`: users, keys and usage as JSON, for admins only — the
 * bootstrap `SLUICE_ADMIN_KEY`, a key of an admin user sent as on `/v1`, or an admin signed in
 * on the web page. `handle` throws `SluiceError`s; the server renders them in the one place it
 * renders every error.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Accounts, isAdmin, type Principal, userOf } from '../accounts/index.ts';
import { AdminOnlyError } from '../errors/index.ts';
import { parseJsonObject, readBody, Router, sendJson } from '../http/index.ts';
import type { Limits, Store } from '../store/types.ts';
import type { Upstream } from '../upstream/index.ts';
import { keyRoutes } from './key-routes.ts';
import { upstreamRoutes } from './upstream-routes.ts';
import { ADMIN_PREFIX, type AdminFile, type AdminHandler } from './route.ts';
import { usageRoutes } from './usage-routes.ts';
import { userRoutes } from './user-routes.ts';

export interface AdminApiOptions {
  readonly accounts: Accounts;
  readonly store: Store;
  /** Who is calling: a key as on `/v1`, or a signed-in browser (CSRF checked). */
  readonly identify: (req: IncomingMessage) => Promise<Principal>;
  /** `Config.defaultLimits`: what a partial `limits` in a create request is merged over. */
  readonly defaultLimits: { readonly key: Limits; readonly user: Limits };
  /** The upstreams now, with their health (`/api/admin/upstreams`). */
  readonly upstreams: () => readonly Upstream[];
  /** Largest JSON body accepted (default 1 MiB: these bodies are a few hundred bytes). */
  readonly maxBodyBytes?: number;
  readonly now?: () => number;
}

const DEFAULT_MAX_BODY = 1024 * 1024;

export class AdminApi {
  readonly #identify: (req: IncomingMessage) => Promise<Principal>;
  readonly #router: Router<AdminHandler>;
  readonly #maxBodyBytes: number;

  constructor(options: AdminApiOptions) {
    this.#identify = options.identify;
    this.#maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const services = {
      accounts: options.accounts,
      store: options.store,
      defaultLimits: options.defaultLimits,
      now: options.now ?? Date.now,
    };
    this.#router = new Router(
      ADMIN_PREFIX,
      [
        ...userRoutes(services),
        ...keyRoutes(services),
        ...usageRoutes(services),
        ...upstreamRoutes(options.upstreams),
      ],
      'admin API URL',
    );
  }

  /** Answers one request; returns fields for the request's log line. */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<Record<string, unknown>> {
    // Authenticate before routing, so that without a key nothing, not even which URLs exist, shows.
    const principal = await this.#identify(req);
    const fields = {
      key: principal.keyPrefix,
      user: userOf(principal)?.username ?? null,
    };
    requireAdmin(principal);
    const { handler, params } = this.#router.find(req.method ?? 'GET', url.pathname);
    const reply = await handler({
      params,
      query: url.searchParams,
      body: async () => parseJsonObject(await readBody(req, this.#maxBodyBytes)),
    });
    if ('file' in reply) sendFile(res, reply.status, reply.file);
    else sendJson(res, reply.status, reply.body);
    return fields;
  }
}

function sendFile(res: ServerResponse, status: number, file: AdminFile): void {
  res.writeHead(status, {
    ...file.headers,
    'content-type': file.contentType,
    // The name is ours (letters, digits, `-`, `.`): nothing to escape.
    'content-disposition': `attachment; filename="${file.filename}"`,
    'content-length': Buffer.byteLength(file.text),
  });
  res.end(file.text);
}

function requireAdmin(principal: Principal): void {
  // `kind === 'admin'` is covered by isAdmin too; spelt out so the message can name the user.
  if (principal.kind === 'admin' || isAdmin(principal)) return;
  throw new AdminOnlyError(
    principal.user.role === 'admin'
      ? `The admin API is for admins only; this key of "${principal.user.username}" is held to some models or an expiry, so it acts without the admin role.`
      : `The admin API is for admins only; "${principal.user.username}" is not one.`,
  );
}
