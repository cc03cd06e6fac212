/** What one Chat Completions chunk says, tolerating the fields compatible servers leave out. */

export interface ParsedChunk {
  readonly text: string;
  readonly reasoning: string;
  readonly finish: string | undefined;
  readonly usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  readonly error: { message: string; code: string } | undefined;
}

interface Chunk {
  choices?: {
    delta?: { content?: unknown; reasoning_content?: unknown };
    finish_reason?: unknown;
  }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
  error?: { message?: unknown; code?: unknown };
}

const NOTHING = { text: '', reasoning: '', finish: undefined, usage: undefined, error: undefined };

export function parseChunk(data: string): ParsedChunk {
  let chunk: Chunk;
  try {
    chunk = JSON.parse(data) as Chunk;
  } catch {
    return {
      ...NOTHING,
      error: { message: 'The upstream sent a malformed event.', code: 'upstream_error' },
    };
  }
  if (chunk.error !== undefined) {
    const { message, code } = chunk.error;
    return {
      ...NOTHING,
      error: {
        message: typeof message === 'string' ? message : 'Upstream error',
        code: typeof code === 'string' ? code : 'upstream_error',
      },
    };
  }
  const choice = chunk.choices?.[0];
  const usage = chunk.usage;
  return {
    text: typeof choice?.delta?.content === 'string' ? choice.delta.content : '',
    reasoning:
      typeof choice?.delta?.reasoning_content === 'string' ? choice.delta.reasoning_content : '',
    finish: typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined,
    usage:
      usage === null || usage === undefined
        ? undefined
        : {
            prompt_tokens: Number(usage.prompt_tokens ?? 0),
            completion_tokens: Number(usage.completion_tokens ?? 0),
          },
    error: undefined,
  };
}
