/**
 * What models cost: USD per million tokens, by model name pattern (`*` wildcard, first match
 * wins) — or per minute of audio or per million characters for the models billed so. The defaults are list prices as published on 2026-11-01 for common models; the `prices`
 * section of the config file replaces them. Metering turns tokens into money with them.
 */

export interface Price {
  /** USD per million input tokens not served from cache. */
  readonly input: number;
  readonly output: number;
  /** USD per million cached input tokens; `input` when absent. */
  readonly cachedInput?: number;
  /**
   * USD per million audio tokens heard and spoken, for chat models that do (`gpt-4o-audio-preview`);
   * their text is at `input` and `output`.
   */
  readonly audioInput?: number;
  readonly audioOutput?: number;
  /** USD per minute of input audio, for models billed by duration (`whisper-1`). */
  readonly audioMinute?: number;
  /** USD per million characters of input text, for models billed by length (`tts-1`). */
  readonly characters?: number;
  /** USD per million input image tokens, for models that price them apart (`gpt-image-1`). */
  readonly imageInput?: number;
  /**
   * USD per web search the model runs, billed beside its tokens: each `web_search_call` of a
   * Responses answer that searched (not its page opens), each of Anthropic's `server_tool_use.web_search_requests`, one per request
   * of a Chat Completions search model or `web_search_options`, each source of xAI's Live
   * Search. Without it, a caller with a cost budget may not search (`tool_not_priced`).
   */
  readonly searches?: number;
  /**
   * USD per image made, for image models that report no tokens (`dall-e-*`): one price, or one
   * per size (`"1024x1024"`) and quality (`"hd 1024x1792"`); a size not listed costs the most
   * listed.
   */
  readonly perImage?: number | Readonly<Record<string, number>>;
  /**
   * USD per million tokens under OpenAI's priority processing (an answer whose `service_tier`
   * is `priority`); twice the standard rates when absent — the most OpenAI charges for it (2 ×
   * for `gpt-5`, 1.7–1.8 × for `gpt-4o`, `gpt-4.1` and `o3`), so a budget holds either way.
   */
  readonly priority?: TierRates;
  /**
   * Rates for every token of a request whose input is longer than `above` tokens (Anthropic's
   * 1M-token context for Sonnet 4 past 200K; xAI prices Grok 4 past 128K likewise).
   */
  readonly longContext?: TierRates & { readonly above: number };
}

/** Token rates of one service tier. */
export interface TierRates {
  readonly input: number;
  readonly output: number;
  readonly cachedInput?: number;
}

export type PriceTable = Readonly<Record<string, Price>>;

const GROK_FAST: Price = {
  input: 0.2,
  output: 0.5,
  cachedInput: 0.05,
  longContext: { above: 128_000, input: 0.4, output: 1, cachedInput: 0.05 },
};

export const DEFAULT_PRICES: PriceTable = {
  // Audio and image models first: their names would otherwise match a text model's row below.
  // Transcription input is audio tokens, priced above text; image output tokens are the image.
  'gpt-4o-mini-transcribe*': { input: 3, output: 5 },
  'gpt-4o-transcribe*': { input: 6, output: 10 },
  'gpt-image-1*': { input: 5, output: 40, cachedInput: 1.25, imageInput: 10 },
  // DALL·E reports no usage: it is billed by the image, by size and quality.
  'dall-e-3': {
    input: 0,
    output: 0,
    perImage: {
      '1024x1024': 0.04,
      '1024x1792': 0.08,
      '1792x1024': 0.08,
      'hd 1024x1024': 0.08,
      'hd 1024x1792': 0.12,
      'hd 1792x1024': 0.12,
    },
  },
  'dall-e-2': {
    input: 0,
    output: 0,
    perImage: { '256x256': 0.016, '512x512': 0.018, '1024x1024': 0.02 },
  },
  // Speech is billed by the input text: characters, or tokens (gpt-4o-mini-tts, whose audio
  // output tokens only its event stream reports).
  'gpt-4o-mini-tts*': { input: 0.6, output: 12 },
  'whisper-1': { input: 0, output: 0, audioMinute: 0.006 },
  'tts-1-hd*': { input: 0, output: 0, characters: 30 },
  'tts-1*': { input: 0, output: 0, characters: 15 },
  // Chat models that hear and speak: audio tokens at many times the text rates.
  'gpt-4o-mini-audio-preview*': { input: 0.15, output: 0.6, audioInput: 10, audioOutput: 20 },
  'gpt-4o-audio-preview*': { input: 2.5, output: 10, audioInput: 40, audioOutput: 80 },
  'gpt-audio-mini*': { input: 0.6, output: 2.4, audioInput: 10, audioOutput: 20 },
  'gpt-audio*': { input: 2.5, output: 10, audioInput: 32, audioOutput: 64 },
  'omni-moderation-*': { input: 0, output: 0 },
  'text-moderation-*': { input: 0, output: 0 },
  'gpt-4.1-nano*': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'gpt-4.1-mini*': { input: 0.4, output: 1.6, cachedInput: 0.1, searches: 0.025 },
  'gpt-4.1*': { input: 2, output: 8, cachedInput: 0.5, searches: 0.025 },
  'gpt-4o-mini*': { input: 0.15, output: 0.6, cachedInput: 0.075, searches: 0.025 },
  'gpt-4o*': { input: 2.5, output: 10, cachedInput: 1.25, searches: 0.025 },
  // Names that would match a cheaper family's row below: pro and research models cost 5–100 ×.
  'gpt-5-pro*': { input: 15, output: 120 },
  'gpt-5-codex-mini*': { input: 0.25, output: 2, cachedInput: 0.025 },
  'gpt-5.1-codex-mini*': { input: 0.25, output: 2, cachedInput: 0.025 },
  'o3-pro*': { input: 20, output: 80 },
  'o3-deep-research*': { input: 10, output: 40, cachedInput: 2.5 },
  'o4-mini-deep-research*': { input: 2, output: 8, cachedInput: 0.5 },
  'o1-pro*': { input: 150, output: 600 },
  'o1-mini*': { input: 1.1, output: 4.4, cachedInput: 0.55 },
  'codex-mini*': { input: 1.5, output: 6, cachedInput: 0.375 },
  'gpt-5-nano*': { input: 0.05, output: 0.4, cachedInput: 0.005 },
  'gpt-5-mini*': { input: 0.25, output: 2, cachedInput: 0.025, searches: 0.01 },
  'gpt-5*': { input: 1.25, output: 10, cachedInput: 0.125, searches: 0.01 },
  'o4-mini*': { input: 1.1, output: 4.4, cachedInput: 0.275, searches: 0.01 },
  'o3*': { input: 2, output: 8, cachedInput: 0.5, searches: 0.01 },
  'o1*': { input: 15, output: 60, cachedInput: 7.5 },
  'claude-opus-4-5*': { input: 5, output: 25, cachedInput: 0.5, searches: 0.01 },
  'claude-opus-4*': { input: 15, output: 75, cachedInput: 1.5, searches: 0.01 },
  'claude-sonnet-4*': {
    input: 3,
    output: 15,
    cachedInput: 0.3,
    searches: 0.01,
    longContext: { above: 200_000, input: 6, output: 22.5, cachedInput: 0.6 },
  },
  'claude-haiku-4*': { input: 1, output: 5, cachedInput: 0.1, searches: 0.01 },
  'claude-3-7-sonnet*': { input: 3, output: 15, cachedInput: 0.3, searches: 0.01 },
  'claude-3-5-haiku*': { input: 0.8, output: 4, cachedInput: 0.08, searches: 0.01 },
  'claude-3-haiku*': { input: 0.25, output: 1.25, cachedInput: 0.03 },
  // Google: a prompt past 200K tokens is billed whole at the higher rates; thinking is output.
  // Its OpenAI-compatible API also names a model `models/<name>`: priced as `<name>`.
  'gemini-3-pro-image*': { input: 2, output: 120 },
  'gemini-3-pro*': {
    input: 2,
    output: 12,
    cachedInput: 0.2,
    longContext: { above: 200_000, input: 4, output: 18, cachedInput: 0.4 },
  },
  'gemini-3-flash*': { input: 0.5, output: 3, cachedInput: 0.05 },
  'gemini-2.5-pro-preview-tts*': { input: 1, output: 20 },
  'gemini-2.5-pro*': {
    input: 1.25,
    output: 10,
    cachedInput: 0.125,
    longContext: { above: 200_000, input: 2.5, output: 15, cachedInput: 0.25 },
  },
  'gemini-2.5-flash-image*': { input: 0.3, output: 30 },
  'gemini-2.5-flash-preview-tts*': { input: 0.5, output: 10 },
  'gemini-2.5-flash-lite*': { input: 0.1, output: 0.4, cachedInput: 0.01 },
  'gemini-2.5-flash*': { input: 0.3, output: 2.5, cachedInput: 0.03 },
  'gemini-2.0-flash-lite*': { input: 0.075, output: 0.3 },
  'gemini-2.0-flash*': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'gemini-embedding-001': { input: 0.15, output: 0 },
  // xAI doubles a request's rates past 128K input tokens.
  'grok-3-mini*': { input: 0.3, output: 0.5, cachedInput: 0.075 },
  'grok-4-fast*': GROK_FAST,
  'grok-4-1-fast*': GROK_FAST,
  'grok-code-fast*': { input: 0.2, output: 1.5, cachedInput: 0.02 },
  'grok-3*': { input: 3, output: 15, cachedInput: 0.75 },
  'grok-4*': {
    input: 3,
    output: 15,
    cachedInput: 0.75,
    longContext: { above: 128_000, input: 6, output: 30, cachedInput: 0.75 },
  },
  // DeepSeek V3.2 (since 2025-09-29): one price for both modes.
  'deepseek-chat*': { input: 0.28, output: 0.42, cachedInput: 0.028 },
  'deepseek-reasoner*': { input: 0.28, output: 0.42, cachedInput: 0.028 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
  'sluice-demo': { input: 0, output: 0 },
};
