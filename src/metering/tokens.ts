/**
 * Token estimates for when the upstream reports no usage (self-hosted servers, streams cut
 * short): o200k_base, the encoding of current OpenAI models, through gpt-tokenizer (pure JS).
 * For other model families it is an estimate, and records say so.
 */

type Encode = (text: string) => number[];
let encoder: Promise<Encode> | undefined;

/** Loaded on first use: the tokenizer's tables are large and most requests never need them. */
function loadEncoder(): Promise<Encode> {
  encoder ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => m.encode);
  return encoder;
}

/**
 * Tokenising is synchronous and roughly linear; beyond this many characters the rest is
 * extrapolated from a sample, so a 20 MB prompt costs milliseconds, not a stalled event loop.
 */
const SAMPLE_CHARS = 100_000;

export async function countTokens(text: string): Promise<number> {
  if (text === '') return 0;
  const encode = await loadEncoder();
  if (text.length <= SAMPLE_CHARS) return encode(text).length;
  const sample = encode(text.slice(0, SAMPLE_CHARS)).length;
  return Math.round((sample * text.length) / SAMPLE_CHARS);
}

/** Tokens OpenAI adds around each chat message; small, but an estimate should not ignore them. */
const PER_MESSAGE = 4;

/**
 * The prompt of a request as the model sees it, roughly: every string under the fields that
 * carry input (messages, input, system, instructions, prompt, tools), plus per-message framing.
 * A tool's schema is shown to the model with its property names, so those count too.
 */
export async function estimatePromptTokens(
  body: Record<string, unknown> | undefined,
): Promise<number> {
  if (body === undefined) return 0;
  const strings: string[] = [];
  for (const field of [
    'messages',
    'input',
    'system',
    'instructions',
    'prompt',
    'tools',
    'functions',
  ]) {
    collectStrings(body[field], strings, field === 'tools' || field === 'functions');
  }
  const messages = Array.isArray(body.messages) ? body.messages.length : 0;
  return (await countTokens(strings.join('\n'))) + messages * PER_MESSAGE;
}

/** `keys`: the object keys too (a schema's property names). */
function collectStrings(value: unknown, into: string[], keys = false): void {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, into, keys);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      // Base64 images and audio are not text tokens; counting their characters would be absurd.
      if (key === 'image_url' || key === 'input_audio' || key === 'data' || key === 'file_data')
        continue;
      if (keys) into.push(key);
      collectStrings(item, into, keys);
    }
  }
}
