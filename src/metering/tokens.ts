/**
 * Token estimates for when the upstream reports no usage (self-hosted servers, streams cut
 * short): o200k_base, the encoding of current OpenAI models, through gpt-tokenizer (pure JS).
 * For other model families it is an estimate, and records say so.
 */
import { isObject } from '../dialects/index.ts';
import { dataUrlBase64, imageTokens } from './image-tokens.ts';
import { TokenizerThread } from './tokenizer-thread.ts';

/** Started on first use: the tokenizer's tables are large and most processes never need them. */
const tokenizer = new TokenizerThread();

/**
 * Beyond this many characters the rest is extrapolated from a sample, so a 20 MB prompt costs
 * the tokenizer's thread tens of milliseconds, not seconds.
 */
const SAMPLE_CHARS = 100_000;

export async function countTokens(text: string): Promise<number> {
  if (text === '') return 0;
  if (text.length <= SAMPLE_CHARS) return tokenizer.count(text);
  const sample = await tokenizer.count(text.slice(0, SAMPLE_CHARS));
  return Math.round((sample * text.length) / SAMPLE_CHARS);
}

/** Tokens OpenAI adds around each chat message; small, but an estimate should not ignore them. */
const PER_MESSAGE = 4;

/**
 * The prompt of a request as the model sees it, roughly: every string under the fields that
 * carry input (messages, input, system, instructions, prompt, tools), plus per-message framing.
 * A tool's schema is shown to the model with its property names, so those count too; an image
 * counts by its size (`image-tokens.ts`), never by its base64 characters.
 */
export async function estimatePromptTokens(
  body: Record<string, unknown> | undefined,
): Promise<number> {
  const prompt = promptOf(body);
  return (await countTokens(prompt.strings.join('\n'))) + prompt.framing;
}

/**
 * The same prompt counted without the tokenizer, at a token per four bytes of UTF-8 (English
 * runs about four characters a token; CJK about one, at three bytes each): cheap enough for
 * every admission, at the cost of being rough.
 */
export function roughPromptTokens(body: Record<string, unknown> | undefined): number {
  const prompt = promptOf(body);
  let bytes = 0;
  for (const text of prompt.strings) bytes += Buffer.byteLength(text);
  return Math.ceil(bytes / BYTES_PER_TOKEN) + prompt.framing;
}

const BYTES_PER_TOKEN = 4;

/** The prompt's strings, and the tokens that are not theirs: images and message framing. */
function promptOf(body: Record<string, unknown> | undefined): {
  strings: readonly string[];
  framing: number;
} {
  if (body === undefined) return { strings: [], framing: 0 };
  const prompt: Collected = { strings: [], images: 0 };
  for (const field of [
    'messages',
    'input',
    'system',
    'instructions',
    'prompt',
    'tools',
    'functions',
  ]) {
    collect(body[field], prompt, field === 'tools' || field === 'functions');
  }
  const messages = Array.isArray(body.messages) ? body.messages.length : 0;
  const ids = tokenIds(body.prompt) + tokenIds(body.input);
  return { strings: prompt.strings, framing: prompt.images + messages * PER_MESSAGE + ids };
}

/**
 * A prompt given as token ids (completions' `prompt`, embeddings' `input`: `[1, 2, 3]`, or a
 * batch of them, `[[1, 2], [3]]`): one token each. Before, such a prompt counted none.
 */
function tokenIds(value: unknown): number {
  if (!Array.isArray(value)) return 0;
  let ids = 0;
  for (const item of value) {
    if (typeof item === 'number') ids++;
    else if (Array.isArray(item)) for (const id of item) if (typeof id === 'number') ids++;
  }
  return ids;
}

interface Collected {
  readonly strings: string[];
  images: number;
}

/** Base64 images, audio and files are not text tokens: their characters are not counted. */
const NOT_TEXT = new Set(['image_url', 'input_audio', 'data', 'file_data']);

/** `keys`: the object keys too (a schema's property names). */
function collect(value: unknown, into: Collected, keys = false): void {
  if (typeof value === 'string') into.strings.push(value);
  else if (Array.isArray(value)) for (const item of value) collect(item, into, keys);
  else if (typeof value === 'object' && value !== null) {
    into.images += imageIn(value as Record<string, unknown>) ?? 0;
    for (const [key, item] of Object.entries(value)) {
      if (NOT_TEXT.has(key)) continue;
      if (keys) into.strings.push(key);
      collect(item, into, keys);
    }
  }
}

/**
 * The tokens of an image part: Chat's `{type: "image_url", image_url: {url, detail}}`, the
 * Responses API's `{type: "input_image", image_url, detail}`, Anthropic's `{type: "image",
 * source}`; undefined for anything else.
 */
function imageIn(part: Record<string, unknown>): number | undefined {
  if (part.type === 'image' && isObject(part.source)) {
    const { source } = part;
    return imageTokens(
      source.type === 'base64' && typeof source.data === 'string' ? source.data : undefined,
    );
  }
  if (!Object.hasOwn(part, 'image_url') && part.type !== 'input_image') return undefined;
  const image = part.image_url;
  const url = typeof image === 'string' ? image : isObject(image) ? image.url : undefined;
  const detail = part.detail ?? (isObject(image) ? image.detail : undefined);
  return imageTokens(typeof url === 'string' ? dataUrlBase64(url) : undefined, detail);
}
