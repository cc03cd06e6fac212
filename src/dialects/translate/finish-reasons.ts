/**
 * Why the model stopped, in each API's words. OpenAI cannot say which stop sequence matched
 * (Anthropic's `stop_sequence`), so `stop` becomes `end_turn`; Anthropic's `pause_turn` only
 * follows its own server tools, which are never forwarded, and reads as `stop`.
 */

export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';
export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal';

export function chatFinishReason(stopReason: unknown): ChatFinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default: // end_turn, stop_sequence, pause_turn
      return 'stop';
  }
}

export function anthropicStopReason(finishReason: unknown): AnthropicStopReason {
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default: // stop
      return 'end_turn';
  }
}
