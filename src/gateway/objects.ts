/**
 * Provider objects and their owners, against the store (the rules are in `ownership.ts`): a
 * non-admin caller may name only objects they created through Sluice; what a request creates is
 * recorded; a list is cut down to the caller's own. A request that names an object goes to the
 * upstream that holds it.
 */
import { isAdmin, type Principal, type RouteScope, userOf } from '../accounts/index.ts';
import { ObjectNotFoundError, SharedSourceError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { OwnedObject, Store } from '../store/types.ts';
import type { EventTap } from './tap.ts';
import {
  codeObjectsIn,
  filterList,
  itemIdsIn,
  listedIds,
  type ObjectRef,
  type ObjectScope,
  objectsIn,
  runsInContainer,
} from './ownership.ts';
import type { ParsedRequest } from './request.ts';

export type ObjectStore = Pick<Store, 'findObjects' | 'recordObjects'>;

export class ObjectAccess {
  readonly #store: ObjectStore;
  readonly #log: Logger;

  constructor(store: ObjectStore, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  /**
   * Checks every object the request names (path and body); resolves with the upstream that
   * holds the object of the path, when Sluice recorded one. Throws 404 for another's object, and
   * 403 for a query over everyone's (`sharedSource`).
   */
  async check(principal: Principal, parsed: ParsedRequest): Promise<string | undefined> {
    const { route, sharedSource } = parsed;
    if (sharedSource !== undefined && !isAdmin(principal))
      throw new SharedSourceError(
        `An eval run over "${sharedSource}" reads every user's stored ${sharedSource === 'responses' ? 'responses' : 'chat completions'} in the provider account: only an admin may run one. Name a file of yours instead (source type "file_id" or "file_content").`,
        'data_source.source',
      );
    const target =
      route.kind === 'scoped' && route.owned && route.objectId !== undefined
        ? { scope: route.scope, id: route.objectId }
        : undefined;
    const refs = target === undefined ? parsed.references : [target, ...parsed.references];
    if (refs.length === 0) return undefined;
    const found = await this.#find(refs);
    if (!isAdmin(principal)) {
      const user = userOf(principal)?.id;
      for (const ref of refs) {
        if (found.get(key(ref))?.userId !== user) throw new ObjectNotFoundError(ref.id);
      }
    }
    return target === undefined ? undefined : (found.get(key(target))?.upstream ?? undefined);
  }

  /** Whether this request's answer is a list to cut down to the caller's objects. */
  filtersList(principal: Principal, parsed: ParsedRequest, method: string): boolean {
    const { route } = parsed;
    return (
      method === 'GET' &&
      route.kind === 'scoped' &&
      route.owned &&
      route.objectId === undefined &&
      !isAdmin(principal)
    );
  }

  /** The list answer with only the caller's objects. */
  async filter(principal: Principal, scope: RouteScope, body: Buffer): Promise<Buffer> {
    const json: unknown = JSON.parse(body.toString('utf8'));
    const ids = listedIds(json);
    const user = userOf(principal)?.id;
    const owned = new Set(
      (await this.#store.findObjects(scope, ids)).filter((o) => o.userId === user).map((o) => o.id),
    );
    return Buffer.from(JSON.stringify(filterList(json, (id) => owned.has(id))));
  }

  /**
   * Has a stream's events read for what it creates: a stored response's id and items, the
   * container code ran in and the files it wrote. (A whole JSON answer is read at its end.)
   */
  watch(parsed: ParsedRequest, tap: EventTap): void {
    if (parsed.stores) tap.watchId();
    if (runsInContainer(parsed.feeTools)) tap.watchCode();
  }

  /** Records what a successful answer created or revealed, as the caller's. */
  async record(
    principal: Principal,
    parsed: ParsedRequest,
    method: string,
    tap: EventTap,
    upstream: string | undefined,
  ): Promise<void> {
    const userId = userOf(principal)?.id;
    if (userId === undefined) return;
    const refs = createdBy(parsed, method, tap);
    if (refs.length === 0) return;
    const objects: OwnedObject[] = refs.map((ref) => ({
      ...ref,
      userId,
      upstream: upstream ?? null,
    }));
    try {
      await this.#store.recordObjects(objects);
    } catch (error) {
      // The answer is the caller's already; without the record only admins can reach the
      // object, which is the safe side. The operator learns which.
      this.#log.error('could not record who owns provider objects', { objects, error });
    }
  }

  async #find(refs: readonly ObjectRef[]): Promise<Map<string, OwnedObject>> {
    const byScope = new Map<ObjectScope, string[]>();
    for (const ref of refs) byScope.set(ref.scope, [...(byScope.get(ref.scope) ?? []), ref.id]);
    const found = new Map<string, OwnedObject>();
    for (const [scope, ids] of byScope)
      for (const object of await this.#store.findObjects(scope, ids))
        found.set(key(object), object);
    return found;
  }
}

function createdBy(parsed: ParsedRequest, method: string, tap: EventTap): ObjectRef[] {
  const { route } = parsed;
  if (route.kind === 'scoped' && route.owned) {
    const creates = method === 'POST' && route.objectId === undefined;
    // An answer about one response or conversation shows its items.
    const holdsItems =
      route.objectId !== undefined &&
      (route.scope === 'responses' || route.scope === 'conversations');
    return objectsIn(creates ? route.scope : undefined, tap.json, holdsItems);
  }
  if (route.kind !== 'inference') return [];
  const ranCode = !runsInContainer(parsed.feeTools)
    ? []
    : tap.json === undefined
      ? tap.codeObjects
      : codeObjectsIn(tap.json);
  return parsed.stores ? [...storedBy(parsed, tap), ...ranCode] : ranCode;
}

/** A stored response or chat completion, and the items a stored response shows. */
function storedBy(parsed: ParsedRequest, tap: EventTap): ObjectRef[] {
  const response = parsed.pathname === '/v1/responses';
  const id = tap.firstId ?? idOf(tap.json);
  const made: ObjectRef[] =
    id === undefined ? [] : [{ scope: response ? 'responses' : 'chat_completions', id }];
  if (!response) return made;
  const items = tap.json === undefined ? tap.itemIds : itemIdsIn(tap.json);
  return [...made, ...items.map((item): ObjectRef => ({ scope: 'items', id: item }))];
}

function idOf(json: unknown): string | undefined {
  const id = (json as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

function key(ref: { readonly scope: string; readonly id: string }): string {
  return `${ref.scope}\u0000${ref.id}`;
}
