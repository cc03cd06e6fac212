export type { Dialect, DialectName, EventEdit, EventKind, UsageScan } from './types.ts';
export { openaiChat } from './openai-chat.ts';
export { openaiResponses } from './openai-responses.ts';
export { anthropicMessages } from './anthropic-messages.ts';
export { openaiGeneric } from './openai-generic.ts';
export { openaiError, anthropicError } from './error-shapes.ts';
export {
  type TokenUsage,
  atTier,
  isObject,
  openaiUsage,
  responsesUsage,
  anthropicUsage,
  withSearches,
} from './usage.ts';
export {
  type StreamTranslator,
  type RequestPurpose,
  type MessagesStreamToChatOptions,
  type ChatStreamToMessagesOptions,
  chatRequestToMessages,
  messagesCountBody,
  messagesRequestToChat,
  messagesStreamToChat,
  chatStreamToMessages,
  messagesResponseToChat,
  chatResponseToMessages,
  messagesErrorToChat,
  chatErrorToMessages,
  DEFAULT_MAX_TOKENS,
  responsesRequestToChat,
  chatStreamToResponses,
  chatAnswerToResponses,
  type ResponsesEcho,
  responsesEcho,
  chainTranslators,
  ConverseStreamToMessages,
  converseResponseToMessages,
  messagesRequestToConverse,
} from './translate/index.ts';
