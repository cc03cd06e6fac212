/** Who is calling, and what they may do: 401 and 403. */
import { SluiceError } from './base.ts';

export class AuthenticationError extends SluiceError {
  readonly status = 401;
  readonly code = 'invalid_api_key';
  readonly kind = 'authentication';
}

abstract class Forbidden extends SluiceError {
  readonly status = 403;
  readonly kind = 'permission';
}

export class AccountDisabledError extends Forbidden {
  readonly code = 'account_disabled';
  constructor(username: string) {
    super(`The account "${username}" is disabled.`);
  }
}

export class ModelNotAllowedError extends Forbidden {
  readonly code = 'model_not_allowed';
  constructor(message: string) {
    super(message, { param: 'model' });
  }
}

/**
 * A model without a price, asked for by a key or user held to a cost budget: its requests would
 * cost nothing against the budget, so the budget would not hold.
 */
export class ModelNotPricedError extends Forbidden {
  readonly code = 'model_not_priced';
  constructor(message: string) {
    super(message, { param: 'model' });
  }
}

/**
 * Work the provider does in the background, asked for by a key or user held to a budget or a
 * token rate: a background response (`"background": true`, `param`), a batch, a fine-tune, an
 * eval or Assistants run, a realtime session, a container. The provider goes on after the
 * request's connection ends and reports the usage only to whoever fetches the result later (or
 * not at all), so it would be charged to nothing.
 */
export class BackgroundNotMeteredError extends Forbidden {
  readonly code = 'background_not_metered';
  constructor(message: string, param?: string) {
    super(message, param === undefined ? {} : { param });
  }
}

/**
 * A built-in tool the provider bills per call beside the tokens (web search, file search, a code
 * container, image generation), asked for by a key or user held to a cost budget: the price
 * table has no price for the calls, so the budget would not hold.
 */
export class ToolNotPricedError extends Forbidden {
  readonly code = 'tool_not_priced';
  constructor(message: string) {
    super(message, { param: 'tools' });
  }
}

/**
 * A request that selects provider objects by query rather than by id — an eval run over the
 * account's stored chat completions or responses — from a caller who may reach only their own:
 * the query would take every user's.
 */
export class SharedSourceError extends Forbidden {
  readonly code = 'shared_source';
  constructor(message: string, param: string) {
    super(message, { param });
  }
}

/** A `/v1` route outside the key's scopes (files, batches, …): see `sluice keys create --routes`. */
export class RouteNotAllowedError extends Forbidden {
  readonly code = 'route_not_allowed';
}

export class AdminOnlyError extends Forbidden {
  readonly code = 'admin_only';
}

export class CsrfError extends Forbidden {
  readonly code = 'csrf_failed';
  constructor() {
    super('This request lacks a valid CSRF token (X-CSRF-Token); reload the page.');
  }
}

export class CrossOriginError extends Forbidden {
  readonly code = 'cross_origin';
  constructor(origin: string) {
    super(`Requests from ${origin} are not accepted here.`);
  }
}

/**
 * First-run setup reached by a DNS name: a web page the operator visits could point its own
 * name at this server (DNS rebinding) and make itself the admin before the operator does.
 */
export class SetupHostError extends Forbidden {
  readonly code = 'setup_host';
  constructor(host: string) {
    super(
      `The first admin is made here only on an address or localhost, not on "${host}" (a web page could point a name of its own at this server). Open Sluice by its IP address, e.g. http://127.0.0.1:8080/, or run \`sluice users add NAME --password-stdin\` on the server.`,
    );
  }
}

/** Conversations belong to users; the bootstrap admin key has none. */
export class NoUserError extends Forbidden {
  readonly code = 'no_user';
  constructor() {
    super('The bootstrap admin key has no conversations; sign in or use a user’s key.');
  }
}
