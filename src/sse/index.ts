export { SseFramer, type EventSink } from './framer.ts';
export { findField, slice, valueIs, valueStartsWith, parseEvent, type SseEvent } from './fields.ts';
export { formatEvent, formatComment, KEEPALIVE, type OutgoingEvent } from './serialize.ts';
export { SseParser } from './parser.ts';
