/**
 * Translation between OpenAI Chat Completions and Anthropic Messages (issue #12), and from the
 * Responses API to Chat Completions for upstreams without it: requests,
 * streams event by event, whole answers and errors, as pure functions over values. What cannot
 * be translated is refused with a 400 that names the field.
 */
export type { RequestPurpose, StreamTranslator } from './types.ts';
export {
  chatRequestToMessages,
  DEFAULT_MAX_TOKENS,
  messagesCountBody,
} from './chat-to-messages-request.ts';
export { messagesRequestToChat } from './messages-to-chat-request.ts';
export {
  messagesStreamToChat,
  type MessagesStreamToChatOptions,
} from './messages-stream-to-chat.ts';
export {
  chatStreamToMessages,
  type ChatStreamToMessagesOptions,
} from './chat-stream-to-messages.ts';
export { messagesResponseToChat, chatResponseToMessages } from './responses.ts';
export { messagesErrorToChat, chatErrorToMessages } from './errors.ts';
export { responsesRequestToChat } from './responses-to-chat-request.ts';
export {
  chatAnswerToResponses,
  chatStreamToResponses,
  type ResponsesEcho,
  responsesEcho,
} from './chat-to-responses.ts';
export { chainTranslators } from './chain.ts';
export { converseResponseToMessages, messagesRequestToConverse } from './messages-to-converse.ts';
export { ConverseStreamToMessages } from './converse-stream-to-messages.ts';
