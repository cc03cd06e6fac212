export { ChatApi, type ChatApiOptions } from './chat-api.ts';
export type { ChatEvent } from './wire.ts';
