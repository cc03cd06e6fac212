/**
 * The messages of the open conversation as the page shows them: the stored ones plus the answer
 * streaming now, with its health readout. Pure updates over immutable values, so each read of
 * the stream produces one new state and one render.
 */
import type { ChatRequest } from '../api/chat-stream.ts';
import type { ChatEvent, ChatMessage, MessageStatus } from '../api/types.ts';
import type { HealthReadout } from '../health/meter.ts';

export interface ThreadMessage {
  /** The server's id, or a local one until the stream's `start` names it. */
  readonly id: string;
  /** Stable for the page's lifetime (the id changes once): keeps the view mounted while it streams. */
  readonly key: string;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly reasoning: string;
  readonly status: MessageStatus;
  readonly error: string | null;
  readonly model: string | null;
  /** Only for answers streamed in this page. */
  readonly health: HealthReadout | null;
  /**
   * The request the server refused before answering (a limit, a budget): it kept nothing of
   * it, so regenerating asks it again as it was.
   */
  readonly refused: ChatRequest | null;
}

export function fromStored(message: ChatMessage): ThreadMessage {
  return {
    id: message.id,
    key: message.id,
    role: message.role,
    content: message.content,
    reasoning: '',
    status: message.status,
    error: message.error,
    model: message.model,
    health: null,
    refused: null,
  };
}

let localIds = 0;
export function localId(): string {
  localIds += 1;
  return `local-${localIds}`;
}

export function question(text: string): ThreadMessage {
  return { ...blank('user', null), content: text, status: 'complete' };
}

export function pendingAnswer(model: string): ThreadMessage {
  return blank('assistant', model);
}

function blank(role: 'user' | 'assistant', model: string | null): ThreadMessage {
  const id = localId();
  return {
    id,
    key: id,
    role,
    content: '',
    reasoning: '',
    status: 'streaming',
    error: null,
    model,
    health: null,
    refused: null,
  };
}

/** The answer after a batch of events. */
export function applyEvents(answer: ThreadMessage, events: readonly ChatEvent[]): ThreadMessage {
  let next = answer;
  for (const event of events) {
    switch (event.type) {
      case 'start':
        next = { ...next, id: event.message_id, model: event.model };
        break;
      case 'delta':
        next = { ...next, content: next.content + event.text };
        break;
      case 'reasoning':
        next = { ...next, reasoning: next.reasoning + event.text };
        break;
      case 'done':
        next = { ...next, status: 'complete' };
        break;
      case 'error':
        next = { ...next, status: 'error', error: event.error.message };
        break;
    }
  }
  return next;
}
