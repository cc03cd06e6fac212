/**
 * What `sluice-demo` says: one fixed, clearly labelled answer that echoes a little of the user's
 * message and explains how to configure a real upstream, split into word-sized tokens. Pure and
 * deterministic, so a given request always streams the same bytes (ids and timestamps aside).
 */
import type { Prompt } from './prompt.ts';

export interface DemoReply {
  readonly text: string;
  /** `text` in stream order; they concatenate back to `text`. */
  readonly tokens: readonly string[];
  readonly usage: DemoUsage;
}

export interface DemoUsage {
  /** A rough estimate: nothing here runs a real tokenizer. */
  readonly promptTokens: number;
  /** Exactly the number of streamed pieces. */
  readonly completionTokens: number;
}

const ECHO_CHARS = 60;
const ECHO_PIECES = 16;

export function demoReply(prompt: Prompt): DemoReply {
  const text = answerText(prompt.lastUser);
  const tokens = tokenize(text);
  return {
    text,
    tokens,
    usage: { promptTokens: estimateTokens(prompt.allText), completionTokens: tokens.length },
  };
}

export function answerText(lastUser: string): string {
  const echo = excerpt(lastUser);
  const quoted = echo === '' ? 'Your message had no text I could read.' : `You wrote: "${echo}"`;
  return `**Sluice demo model.** This reply comes from \`sluice-demo\`, built into Sluice, not from a real LLM.

> ${quoted}

No upstream is configured, so every request gets this answer, streamed at a realistic pace so the chat page, keys, usage and doctor can be tried end to end.

To reach a real model, set these and restart Sluice:

- \`OPENAI_API_KEY\`: your key for OpenAI or any OpenAI-compatible provider.
- \`BASE_URL\`: the upstream origin, for a relay or a local server such as Ollama (\`/v1\` is assumed).
- \`HTTP_PROXY\`: when outbound traffic must go through a proxy.

For example:

\`\`\`sh
OPENAI_API_KEY=sk-... npm start
\`\`\`

in the Sluice directory (with Compose: in \`.env\`). For Claude, set \`ANTHROPIC_API_KEY\`.`;
}

/**
 * The start of `text` on one line, cut between pieces: at most `ECHO_CHARS` characters and
 * `ECHO_PIECES` tokens, so that no message can push the answer far past its usual length.
 */
export function excerpt(text: string): string {
  const pieces = tokenize(text.replace(/\s+/g, ' ').trim());
  let out = '';
  for (const [i, piece] of pieces.entries()) {
    if (i === ECHO_PIECES || out.length + piece.length > ECHO_CHARS) {
      return `${(out === '' ? piece.slice(0, ECHO_CHARS) : out).trimEnd()}…`;
    }
    out += piece;
  }
  return out;
}

/**
 * Word-ish pieces the way BPE tokenizers cut English: a run of newlines alone, otherwise a word
 * or a run of punctuation, each carrying the spaces before it (`" model"`, `" **"`).
 */
const PIECE = /\n+|[^\S\n]*[\p{L}\p{N}_']+|[^\S\n]*[^\s\p{L}\p{N}_']+|[^\S\n]+/gu;

export function tokenize(text: string): string[] {
  return text.match(PIECE) ?? [];
}

/** About four characters a token, the usual rule of thumb for English; never zero. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
