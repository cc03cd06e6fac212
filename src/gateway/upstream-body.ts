/**
 * The body a try sends: the client's own, or rewritten for the upstream (`BodiesByModel`).
 */
import { messagesRequestToConverse } from '../dialects/index.ts';
import { ownUtf8, parseJsonObject } from '../http/index.ts';
import { BEDROCK_ANTHROPIC_VERSION, isConverseModel, type Upstream } from '../upstream/index.ts';
import { withEndUser } from './end-users.ts';
import type { ParsedRequest } from './request.ts';

/** What `AnthropicVertex` puts in a body that names none. */
const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/** `anthropic-beta: a, b` (or the header repeated) as its flags. */
export function betasOf(header: string | string[] | undefined): string[] {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** A cloud that serves Claude with the model in the path and the API version in the body. */
type BodyStyle = 'vertex' | 'bedrock';

function bodyStyle(upstream: Upstream): BodyStyle | undefined {
  return upstream.vertexClaude ? 'vertex' : upstream.bedrock === undefined ? undefined : 'bedrock';
}

/**
 * The request body as each upstream should get it: the client's, or — for an alias, an end
 * user, or a cloud's shape (Vertex, Bedrock, Converse) — the same JSON rewritten, made once per
 * name and shape.
 */
export class BodiesByModel {
  readonly #parsed: ParsedRequest;
  readonly #path: string;
  readonly #caller: string;
  readonly #made = new Map<string, Buffer>();

  /** The client's `anthropic-beta` flags, which Bedrock takes in the body. */
  readonly #betas: readonly string[];

  constructor(parsed: ParsedRequest, path: string, caller: string, betas: readonly string[]) {
    this.#parsed = parsed;
    this.#path = path;
    this.#caller = caller;
    this.#betas = betas;
  }

  /** The body for `upstream`, which knows the model as `model`. */
  for(model: string | undefined, upstream: Upstream): ParsedRequest['body'] {
    const { body } = this.#parsed;
    // A form (multipart) was rebuilt with the upstream's name for the model already.
    if (!Buffer.isBuffer(body)) return body;
    const renamed = model !== undefined && model !== this.#parsed.model;
    const style = bodyStyle(upstream);
    if (!renamed && !upstream.endUsers && style === undefined) return body;
    const name = `${upstream.endUsers ? '+' : '-'}${style ?? ''}:${model ?? ''}`;
    let made = this.#made.get(name);
    if (made === undefined) {
      made =
        renamed || style !== undefined
          ? ownUtf8(JSON.stringify(this.#rewritten(parseJsonObject(body), model, style)))
          : body;
      if (upstream.endUsers) made = withEndUser(made, this.#path, this.#caller);
      this.#made.set(name, made);
    }
    return made;
  }

  /**
   * The body with the upstream's name for the model; for Claude on Vertex or Bedrock as their
   * own clients send it: `anthropic_version` in the body, and a message's model (and, on
   * Bedrock, whether it streams) in the path, not here.
   */
  #rewritten(
    json: Record<string, unknown>,
    model: string | undefined,
    style: BodyStyle | undefined,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = model === undefined ? { ...json } : { ...json, model };
    if (style === undefined) return out;
    // Bedrock's other models speak Converse, whose model and stream are in the path.
    if (style === 'bedrock' && this.#path === '/v1/messages' && isConverseModel(model ?? ''))
      return messagesRequestToConverse(out);
    out.anthropic_version ??=
      style === 'vertex' ? VERTEX_ANTHROPIC_VERSION : BEDROCK_ANTHROPIC_VERSION;
    if (this.#path === '/v1/messages') {
      delete out.model;
      if (style === 'bedrock') delete out.stream;
    }
    if (style === 'bedrock' && this.#betas.length > 0 && out.anthropic_beta === undefined)
      out.anthropic_beta = this.#betas;
    return out;
  }
}
