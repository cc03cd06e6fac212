/**
 * Provider objects are per user. Sluice shares one provider account among its users, so the
 * provider would hand anyone's file, batch or stored response to anyone who names it. Sluice
 * records the id of every object created through it, with its creator, and a non-admin user
 * may name — in a path or in a body (`file_id`, `previous_response_id`, …) — only objects they
 * created; any other id is answered as if it did not exist. Pure functions over parsed JSON
 * here; the store lookups are in `gateway.ts`.
 */
import type { RouteScope } from '../accounts/index.ts';
import { isObject } from '../dialects/index.ts';

/**
 * Where an object's id is looked up: a route scope, or `items` — the messages, reasoning and
 * tool calls inside stored responses and conversations, which a Responses request can pull
 * into its context by id (`{"type": "item_reference", "id": "msg_…"}`) without naming the
 * response that holds them.
 */
export type ObjectScope = RouteScope | 'items';

export interface ObjectRef {
  readonly scope: ObjectScope;
  readonly id: string;
}

/**
 * Request body fields whose string value (or array of strings) names an object. A Map, not an
 * object: the keys are the client's, and an object also answers `constructor`.
 */
const REFERENCE_FIELDS: ReadonlyMap<string, RouteScope> = new Map<string, RouteScope>([
  ['file_id', 'files'],
  ['file_ids', 'files'],
  ['input_file_id', 'files'],
  ['training_file', 'files'],
  ['validation_file', 'files'],
  ['vector_store_id', 'vector_stores'],
  ['vector_store_ids', 'vector_stores'],
  ['previous_response_id', 'responses'],
  ['conversation', 'conversations'],
  ['conversation_id', 'conversations'],
  ['container', 'containers'],
  ['container_id', 'containers'],
  ['assistant_id', 'assistants'],
  ['thread_id', 'threads'],
]);

/** A body's arrays of Responses items (`input` of a response, `items` of a conversation). */
const ITEM_LISTS: ReadonlySet<string> = new Set(['input', 'items']);

/** Any of those keys, or an `id` (an item reference), as `JSON.stringify` writes them. */
const REFERENCE_KEY = new RegExp(`"(?:${[...REFERENCE_FIELDS.keys(), 'id'].join('|')})":`);

/** Whether serialised JSON may name an object: false means `referencesIn` would find none. */
export function mayReference(serialised: string): boolean {
  return REFERENCE_KEY.test(serialised);
}

/** Free-form maps of the caller's own: their keys are not Sluice's to read. */
const OPAQUE_FIELDS: ReadonlySet<string> = new Set(['metadata']);

/** Tool schemas (`{"file_id": {"type": "string"}}`) name fields, not objects: only strings count. */
export function referencesIn(json: unknown): ObjectRef[] {
  const refs: ObjectRef[] = [];
  // An item of a body's item list with an id and neither type nor role (a message's type is
  // optional) is a reference too. Only there: deeper, `{"id": …}` is anything (a schema's).
  if (isObject(json))
    for (const list of ITEM_LISTS) {
      const items = json[list];
      if (Array.isArray(items))
        for (const item of items)
          if (
            isObject(item) &&
            (item.type ?? null) === null &&
            item.role === undefined &&
            typeof item.id === 'string'
          )
            refs.push({ scope: 'items', id: item.id });
    }
  // An explicit stack: a body nested thousands deep must not overflow the call stack.
  const stack: unknown[] = [json];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object' && item !== null) stack.push(item);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    const typed = typedReference(value);
    if (typed !== undefined) refs.push(typed);
    for (const [key, field] of Object.entries(value)) {
      if (OPAQUE_FIELDS.has(key)) continue;
      const scope = REFERENCE_FIELDS.get(key);
      if (scope !== undefined) {
        for (const id of idsOf(field)) refs.push({ scope, id });
        // `{"conversation": {"id": "conv_…"}}`
        if (isObject(field) && typeof field.id === 'string') refs.push({ scope, id: field.id });
      }
      if (typeof field === 'object' && field !== null) stack.push(field);
    }
  }
  return refs;
}

/** `{"type": "item_reference", "id": …}`, and an eval run's `{"type": "file_id", "id": …}`. */
function typedReference(value: object): ObjectRef | undefined {
  const { type, id } = value as { type?: unknown; id?: unknown };
  if (typeof id !== 'string') return undefined;
  if (type === 'item_reference') return { scope: 'items', id };
  if (type === 'file_id') return { scope: 'files', id };
  return undefined;
}

/**
 * Eval run sources that select by query from the provider account's stored chat completions
 * (`stored_completions`) or responses (`responses`): every user's, not objects one can own.
 */
const SHARED_SOURCES: ReadonlySet<unknown> = new Set(['stored_completions', 'responses']);

/** The shared source an eval run's body selects from (`data_source.source.type`), if any. */
export function sharedSourceIn(json: unknown): string | undefined {
  if (!isObject(json) || !isObject(json.data_source)) return undefined;
  const { source } = json.data_source;
  return isObject(source) && SHARED_SOURCES.has(source.type) ? String(source.type) : undefined;
}

/**
 * The objects a successful answer creates or reveals, for its caller: the object a collection
 * `POST` made (`scope` and its `id`), and those it points to that the caller will fetch next
 * (a batch's output and error files, an upload's file, a fine-tune's result files, the thread
 * of a run). `holdsItems`: an answer about a response or conversation — the items it shows
 * (a response's `output`, a page of input or conversation items) are the caller's to name.
 */
export function objectsIn(
  created: RouteScope | undefined,
  json: unknown,
  holdsItems = false,
): ObjectRef[] {
  if (!isObject(json)) return [];
  const refs: ObjectRef[] = [];
  if (created !== undefined && typeof json.id === 'string')
    refs.push({ scope: created, id: json.id });
  if (holdsItems) for (const id of itemIdsIn(json)) refs.push({ scope: 'items', id });
  for (const field of ['output_file_id', 'error_file_id'] as const)
    for (const id of idsOf(json[field])) refs.push({ scope: 'files', id });
  for (const id of idsOf(json.result_files)) refs.push({ scope: 'files', id });
  if (isObject(json.file) && typeof json.file.id === 'string')
    refs.push({ scope: 'files', id: json.file.id });
  for (const id of idsOf(json.thread_id)) refs.push({ scope: 'threads', id });
  return refs;
}

/**
 * Whether a request's tools run code in a provider container (OpenAI's code interpreter,
 * Anthropic's code execution): the answer then names the container, which the caller reuses by
 * id in later requests (and a stateless client sends back in the output items it replays).
 */
export function runsInContainer(feeTools: readonly string[]): boolean {
  return feeTools.some((tool) => tool === 'code_interpreter' || tool.startsWith('code_execution'));
}

/** Anthropic's blocks for a file code wrote (`{"type": …, "file_id": …}`), fetched by id. */
const CODE_OUTPUTS: ReadonlySet<unknown> = new Set([
  'code_execution_output',
  'bash_code_execution_output',
]);

/**
 * What running code made, as an answer (or one of its events) names it: the container —
 * OpenAI's `container_id` (a code interpreter call, a file citation), Anthropic's `container:
 * {"id": …}` — and the files Anthropic's code execution wrote (fetched from its Files API).
 */
export function codeObjectsIn(json: unknown): ObjectRef[] {
  const refs: ObjectRef[] = [];
  const stack: unknown[] = [json];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const item of value as unknown[]) stack.push(item);
      continue;
    }
    if (!isObject(value)) continue;
    const { container_id: id, container, type, file_id: file } = value;
    if (typeof id === 'string' && id !== '') refs.push({ scope: 'containers', id });
    if (isObject(container) && typeof container.id === 'string' && container.id !== '')
      refs.push({ scope: 'containers', id: container.id });
    if (CODE_OUTPUTS.has(type) && typeof file === 'string' && file !== '')
      refs.push({ scope: 'files', id: file });
    for (const [key, field] of Object.entries(value))
      if (typeof field === 'object' && !WRITTEN_BY_OTHERS.has(key)) stack.push(field);
  }
  return refs;
}

/**
 * In an answer, what the caller wrote (`metadata`, echoed back) and what the model wrote (a tool
 * call's `input` or `arguments`): anyone can make those name any id, so they prove nothing.
 */
const WRITTEN_BY_OTHERS: ReadonlySet<string> = new Set(['metadata', 'input', 'arguments']);

/** A list answer (`{"data": [{"id": …}, …]}`) with only the items `keep` allows. */
export function filterList(json: unknown, keep: (id: string) => boolean): unknown {
  if (!isObject(json) || !Array.isArray(json.data)) return json;
  const data = json.data.filter(
    (item) => isObject(item) && typeof item.id === 'string' && keep(item.id),
  );
  const ids = data.map((item) => (item as { id: string }).id);
  return {
    ...json,
    data,
    ...('first_id' in json ? { first_id: ids[0] ?? null } : {}),
    ...('last_id' in json ? { last_id: ids.at(-1) ?? null } : {}),
  };
}

/** The ids in every item of `data` of a list answer. */
export function listedIds(json: unknown): string[] {
  return isObject(json) ? idsOfItems(json.data) : [];
}

/** The ids of the items a response (`output`) or a page of items (`data`) shows. */
export function itemIdsIn(json: unknown): string[] {
  return isObject(json) ? [...idsOfItems(json.output), ...idsOfItems(json.data)] : [];
}

/** The `id` of each object in `list`, when it is an array. */
function idsOfItems(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown) =>
    isObject(item) && typeof item.id === 'string' && item.id !== '' ? [item.id] : [],
  );
}

function idsOf(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value))
    return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return [];
}
