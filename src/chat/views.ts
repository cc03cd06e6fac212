/** Conversations and messages as the page sees them. */
import { iso } from '../accounts/index.ts';
import type { Conversation, Message, User } from '../store/types.ts';

export function sessionUserView(user: User) {
  return { id: user.id, username: user.username, role: user.role };
}

export function conversationView(c: Conversation) {
  return {
    id: c.id,
    title: c.title,
    model: c.model,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
  };
}

export function messageView(m: Message) {
  return {
    id: m.id,
    role: m.role,
    content: m.content,
    status: m.status,
    model: m.model,
    request_id: m.requestId,
    error: m.error,
    created_at: iso(m.createdAt),
  };
}
