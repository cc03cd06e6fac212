/**
 * Reading a `/v1` request: which endpoint, which model, streamed or not, and the body to send
 * upstream. A JSON route's body is read as JSON whatever `Content-Type` claims (a body that the
 * provider would parse must be one Sluice parsed: its model decides the key's permissions and
 * the price), then written again, so Sluice and the provider read one document — a duplicate
 * `"model"` key cannot mean one model to Sluice and another upstream. A multipart route's
 * `model` is read from the form as it streams (`multipart.ts`). Other routes' bodies go through
 * unread for admins and parsed for everyone else, whose object references are checked.
 *
 * The parsed JSON is not kept: a request lives as long as its stream, and a long conversation
 * parsed into objects costs a few times its bytes.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { isObject } from '../dialects/index.ts';
import { InvalidFieldError, UnsupportedMediaTypeError } from '../errors/index.ts';
import { declaresBody, limitedBody, ownUtf8, parseJsonObject, readBody } from '../http/index.ts';
import { type Endpoint, endpointFor } from './endpoints.ts';
import { readMultipart } from './multipart.ts';
import { mayReference, type ObjectRef, referencesIn, sharedSourceIn } from './ownership.ts';
import { byBody, type RouteInfo } from './routes.ts';

export interface ParsedRequest {
  readonly endpoint: Endpoint;
  /** The path without its query, for records. */
  readonly pathname: string;
  readonly route: RouteInfo;
  readonly body: Buffer | Readable | null;
  /** A buffered body can be sent again to the next upstream; a streamed one cannot. */
  readonly replayable: boolean;
  /** The body's type as sent upstream when Sluice wrote the body; else the client's stands. */
  readonly contentType: string | undefined;
  readonly model: string | undefined;
  readonly stream: boolean;
  /** Sluice asked the upstream for usage the client did not ask for: hide it again. */
  readonly hideUsage: boolean;
  /** The provider will store what it answers (a stored response or chat completion). */
  readonly stores: boolean;
  /** The provider goes on after the connection ends: a background response. */
  readonly detached: boolean;
  /** Built-in tools the provider bills per call, beside the tokens (`FEE_TOOL`). */
  readonly feeTools: readonly string[];
  /** Provider objects the body names, for the ownership check. */
  readonly references: readonly ObjectRef[];
  /** Everyone's objects the body selects by query (an eval run over stored completions). */
  readonly sharedSource: string | undefined;
}

export interface ParseOptions {
  readonly maxBodyBytes: number;
  /** Whether the caller's object references must be checked (everyone but admins). */
  readonly checkReferences: boolean;
  /** What an upstream calls a model the client names by an alias (for multipart forms). */
  readonly rename: (model: string) => string;
  /** Multipart forms: checks the caller may use the form's model when it is read. */
  readonly checkModel: (model: string | undefined) => void;
  /** Multipart forms: the upstream does not depend on the model, the upload need not wait for it. */
  readonly sendBeforeModel: boolean;
}

const NO_BODY = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
const NO_REFERENCES: readonly ObjectRef[] = Object.freeze([]);

export async function parseRequest(
  req: IncomingMessage,
  path: string,
  asked: RouteInfo,
  options: ParseOptions,
): Promise<ParsedRequest> {
  const multipart = isMultipart(req.headers['content-type']);
  const route = byBody(asked, multipart);
  const pathname = path.split('?')[0] ?? path;
  const endpoint = endpointFor(pathname, req.headers);
  const base = {
    endpoint,
    pathname,
    route,
    model: undefined,
    hideUsage: false,
    stores: false,
    detached: false,
    feeTools: NO_TOOLS,
    references: NO_REFERENCES,
    sharedSource: undefined,
    contentType: undefined,
  };
  if (NO_BODY.has(req.method ?? 'GET') || !declaresBody(req)) {
    // An inference call without a body: the same 400 as malformed JSON (an empty body is `{}`
    // to nobody).
    if (route.kind === 'inference') parseJsonObject(await readBody(req, options.maxBodyBytes));
    return { ...base, body: null, replayable: true, stream: /[?&]stream=true(?:&|$)/.test(path) };
  }
  if (route.kind === 'inference' && route.body === 'multipart') {
    if (!multipart) throw notMultipart();
    const form = await readMultipart(req, {
      limit: options.maxBodyBytes,
      ...options,
      checkModel: (model) => {
        checkModelName(model);
        options.checkModel(model);
      },
    });
    return {
      ...base,
      body: form.body,
      contentType: form.contentType,
      replayable: false,
      // Read when asked: with `sendBeforeModel` the model may come after the relay started.
      get model() {
        return form.model;
      },
      stream: false,
    };
  }
  if (route.kind === 'inference' && multipart) throw notJson();
  if (multipart && options.checkReferences) {
    // A form is read as JSON by nobody: where the API takes no form it is refused, not relayed
    // unread past the ownership checks (a JSON body labelled multipart went through unchecked).
    if (!FORM_ROUTE.test(pathname)) throw notJson();
    // A container's file may be named by `file_id` in the form: read, and refused there.
    if (CONTAINER_FILE.test(pathname)) {
      const form = await readMultipart(req, {
        limit: options.maxBodyBytes,
        rename: (model) => model,
        checkModel: () => undefined,
        checkField: refuseFileIdInForm,
        sendBeforeModel: true,
      });
      return {
        ...base,
        body: form.body,
        contentType: form.contentType,
        replayable: false,
        stream: false,
      };
    }
  }
  if (multipart || (route.kind !== 'inference' && !options.checkReferences)) {
    // Uploads to files and the like, and whatever an admin sends: relayed as they come.
    const body = Readable.from(limitedBody(req, options.maxBodyBytes), { objectMode: false });
    return { ...base, body, replayable: false, stream: false };
  }
  const json = parseJsonObject(await readBody(req, options.maxBodyBytes));
  const model = typeof json.model === 'string' ? json.model : undefined;
  checkModelName(model);
  const hideUsage = route.kind === 'inference' && endpoint.dialect.requestUsage(json);
  const text = JSON.stringify(json);
  return {
    ...base,
    body: ownUtf8(text),
    contentType: 'application/json',
    replayable: true,
    model,
    stream: json.stream === true,
    hideUsage,
    stores: storesAnswer(pathname, json),
    detached: pathname === '/v1/responses' && json.background === true,
    feeTools: route.kind === 'inference' ? feeToolsIn(json) : NO_TOOLS,
    // The walk only for a body that has a key naming objects (JSON.stringify writes keys as
    // they are, so one scan of the text tells): most chat requests have none.
    references:
      options.checkReferences && mayReference(text) ? nonEmpty(referencesIn(json)) : NO_REFERENCES,
    sharedSource: route.kind === 'scoped' ? sharedSourceIn(json) : undefined,
  };
}

const NO_TOOLS: readonly string[] = [];

/**
 * Built-in tools that providers bill per call beside the tokens: OpenAI's web search (and Chat
 * Completions' `web_search_options`, and its search models, which search on every request),
 * file search, code interpreter and image generation; Anthropic's web search and code execution
 * (`web_search_20250305`, `code_execution_…`); xAI's web and X search and code execution, and
 * its Live Search (`search_parameters`, billed by the source). Function tools, MCP, computer use
 * and web fetch cost tokens only.
 */
const FEE_TOOL =
  /^(?:web_search|x_search|code_execution)|^(?:file_search|code_interpreter|image_generation)$/;

/** `gpt-4o-search-preview`, `gpt-4o-mini-search-preview`, `gpt-5-search-api`. */
const SEARCH_MODEL = /-search-(?:preview|api)\b/;

/**
 * Tools (of `feeTools`) that search the web, billed per search: priced by `Price.searches`.
 * xAI's `x_search` is not one: its calls are not counted yet.
 */
export function searchesTheWeb(tool: string): boolean {
  return tool.startsWith('web_search') || tool === 'search_parameters' || SEARCH_MODEL.test(tool);
}

/**
 * Searches a request runs by asking, reported nowhere in the answer: one for a Chat Completions
 * search model or `web_search_options` (the others are counted from the answer).
 */
export function searchesAsked(feeTools: readonly string[]): number {
  return feeTools.some((tool) => tool === 'web_search_options' || SEARCH_MODEL.test(tool)) ? 1 : 0;
}

function feeToolsIn(json: Record<string, unknown>): readonly string[] {
  const found: string[] = [];
  if (Array.isArray(json.tools))
    for (const tool of json.tools as unknown[])
      if (isObject(tool) && typeof tool.type === 'string' && FEE_TOOL.test(tool.type))
        found.push(tool.type);
  if (json.web_search_options !== undefined) found.push('web_search_options');
  if (isObject(json.search_parameters) && json.search_parameters.mode !== 'off')
    found.push('search_parameters');
  if (typeof json.model === 'string' && SEARCH_MODEL.test(json.model)) found.push(json.model);
  return found.length === 0 ? NO_TOOLS : found;
}

/**
 * `.` and `..` name no model, and as an Azure deployment they would move the upstream's path
 * (`/deployments/../chat/completions` is `/chat/completions` to the server): refused, as is a
 * name longer than any model has (`MAX_MODEL_NAME`).
 */
export function checkModelName(model: string | undefined): void {
  // A lone surrogate has no UTF-8: no URL (an Azure deployment, a Bedrock model) can carry it.
  if (model !== undefined && !model.isWellFormed())
    throw new InvalidFieldError('model', 'The model name is not valid Unicode (a lone surrogate).');
  if (model === '.' || model === '..')
    throw new InvalidFieldError('model', `\`${model}\` is not the name of a model.`);
  if (model !== undefined && model.length > MAX_MODEL_NAME)
    throw new InvalidFieldError(
      'model',
      `A model name is at most ${String(MAX_MODEL_NAME)} characters; this one has ${String(model.length)}.`,
    );
}

/**
 * The longest model name taken. The longest real ones (a Vertex resource path, a Bedrock ARN, a
 * fine-tune's id) are under 100 characters; a name becomes a metrics label, a log field and a
 * column of every record, so a 20 MB one made `/metrics` 420 MB.
 */
export const MAX_MODEL_NAME = 256;

function isMultipart(contentType: string | undefined): boolean {
  return contentType?.toLowerCase().trimStart().startsWith('multipart/') === true;
}

/** Responses are stored unless `store: false`; chat completions only with `store: true`. */
function storesAnswer(pathname: string, json: Record<string, unknown>): boolean {
  if (pathname === '/v1/responses') return json.store !== false;
  if (pathname === '/v1/chat/completions') return json.store === true;
  return false;
}

function notMultipart(): UnsupportedMediaTypeError {
  return new UnsupportedMediaTypeError(
    'This endpoint takes a multipart/form-data body (the file and its fields), as the OpenAI clients send it.',
  );
}

/** Where the API takes a form: a file's upload, an upload's part, a container's file. */
const FORM_ROUTE = /^\/v1\/(?:files|uploads\/[^/]+\/parts|containers\/[^/]+\/files)$/;
const CONTAINER_FILE = /^\/v1\/containers\/[^/]+\/files$/;

function refuseFileIdInForm(name: string): void {
  if (name === 'file_id')
    throw new InvalidFieldError(
      'file_id',
      'Name the file in a JSON body ({"file_id": …}), where Sluice checks it is yours, not in a form.',
    );
}

function notJson(): UnsupportedMediaTypeError {
  return new UnsupportedMediaTypeError(
    'This endpoint takes a JSON body; send it with Content-Type: application/json.',
  );
}

/** Most bodies name no object: they share one empty list instead of keeping their own. */
function nonEmpty(refs: ObjectRef[]): readonly ObjectRef[] {
  return refs.length === 0 ? NO_REFERENCES : refs;
}
