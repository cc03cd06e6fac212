/**
 * Sessions, conversations and messages over `Db`, in SQL both engines accept — the chat
 * service's part of the store.
 */
import type { Db, Row, SqlValue } from './db.ts';
import { newId } from './ids.ts';
import {
  number,
  numberOrNull,
  oneOf,
  selectList,
  text,
  textOrNull,
  USER_COLUMNS,
  userFromRow,
} from './rows.ts';
import type {
  Conversation,
  Message,
  MessagePatch,
  MessageStatus,
  NewMessage,
  Session,
  User,
} from './types.ts';

const SESSION_COLUMNS = [
  'id',
  'user_id',
  'csrf',
  'created_at',
  'last_seen_at',
  'expires_at',
  'revoked_at',
  'ip',
  'user_agent',
] as const;
const CONVERSATION_COLUMNS = [
  'id',
  'user_id',
  'title',
  'model',
  'created_at',
  'updated_at',
] as const;
const MESSAGE_COLUMNS = [
  'id',
  'conversation_id',
  'role',
  'content',
  'status',
  'model',
  'request_id',
  'error',
  'seq',
  'created_at',
  'updated_at',
] as const;
const STATUSES: readonly MessageStatus[] = ['complete', 'streaming', 'stopped', 'error'];

const insert = (table: string, columns: readonly string[]) =>
  `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`;

export async function createSession(
  db: Db,
  s: Omit<Session, 'createdAt' | 'lastSeenAt' | 'revokedAt'>,
  now: number,
): Promise<Session> {
  const session: Session = { ...s, createdAt: now, lastSeenAt: now, revokedAt: null };
  await db.run(insert('sessions', SESSION_COLUMNS), [
    session.id,
    session.userId,
    session.csrf,
    now,
    now,
    session.expiresAt,
    null,
    session.ip,
    session.userAgent,
  ]);
  return session;
}

export async function findSession(
  db: Db,
  id: string,
): Promise<{ session: Session; user: User } | undefined> {
  const [row] = await db.all(
    `SELECT ${selectList(SESSION_COLUMNS, 's', 's_')}, ${selectList(USER_COLUMNS, 'u', 'u_')}
FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
    [id],
  );
  return row && { session: sessionFromRow(row, 's_'), user: userFromRow(row, 'u_') };
}

export async function updateSessions(
  db: Db,
  sql: string,
  params: readonly SqlValue[],
): Promise<void> {
  await db.run(sql, params);
}

export async function createConversation(
  db: Db,
  c: { userId: string; title: string; model: string | null },
  now: number,
): Promise<Conversation> {
  const conversation: Conversation = { id: newId('cnv'), ...c, createdAt: now, updatedAt: now };
  await db.run(insert('conversations', CONVERSATION_COLUMNS), [
    conversation.id,
    c.userId,
    c.title,
    c.model,
    now,
    now,
  ]);
  return conversation;
}

export async function getConversation(db: Db, id: string): Promise<Conversation | undefined> {
  const [row] = await db.all(
    `SELECT ${CONVERSATION_COLUMNS.join(', ')} FROM conversations WHERE id = $1`,
    [id],
  );
  return row && conversationFromRow(row);
}

export async function listConversations(db: Db, userId: string): Promise<Conversation[]> {
  const rows = await db.all(
    `SELECT ${CONVERSATION_COLUMNS.join(', ')} FROM conversations WHERE user_id = $1 ORDER BY updated_at DESC, id`,
    [userId],
  );
  return rows.map(conversationFromRow);
}

export async function updateConversation(
  db: Db,
  id: string,
  patch: { title?: string; model?: string | null },
  now: number,
): Promise<Conversation | undefined> {
  const params: SqlValue[] = [id, now];
  const sets = ['updated_at = $2'];
  if (patch.title !== undefined) sets.push(`title = $${params.push(patch.title)}`);
  if (patch.model !== undefined) sets.push(`model = $${params.push(patch.model)}`);
  await db.run(`UPDATE conversations SET ${sets.join(', ')} WHERE id = $1`, params);
  return getConversation(db, id);
}

export async function deleteConversation(db: Db, id: string): Promise<void> {
  // Messages first: SQLite enforces ON DELETE CASCADE only with foreign_keys on; say it anyway.
  await db.transaction(async (tx) => {
    await tx.run('DELETE FROM messages WHERE conversation_id = $1', [id]);
    await tx.run('DELETE FROM conversations WHERE id = $1', [id]);
  });
}

export async function addMessage(db: Db, m: NewMessage, now: number): Promise<Message> {
  const message: Message = {
    id: newId('msg'),
    ...m,
    requestId: null,
    error: null,
    createdAt: now,
    updatedAt: now,
  };
  await db.transaction(async (tx) => {
    const [last] = await tx.all('SELECT MAX(seq) AS seq FROM messages WHERE conversation_id = $1', [
      m.conversationId,
    ]);
    const seq = (last === undefined ? null : numberOrNull(last, 'seq')) ?? 0;
    await tx.run(insert('messages', MESSAGE_COLUMNS), [
      message.id,
      m.conversationId,
      m.role,
      m.content,
      m.status,
      m.model,
      null,
      null,
      seq + 1,
      now,
      now,
    ]);
    await tx.run('UPDATE conversations SET updated_at = $2 WHERE id = $1', [m.conversationId, now]);
  });
  return message;
}

export async function updateMessage(
  db: Db,
  id: string,
  patch: MessagePatch,
  now: number,
): Promise<void> {
  const params: SqlValue[] = [id, now];
  const sets = ['updated_at = $2'];
  if (patch.content !== undefined) sets.push(`content = $${params.push(patch.content)}`);
  if (patch.status !== undefined) sets.push(`status = $${params.push(patch.status)}`);
  if (patch.requestId !== undefined) sets.push(`request_id = $${params.push(patch.requestId)}`);
  if (patch.error !== undefined) sets.push(`error = $${params.push(patch.error)}`);
  await db.run(`UPDATE messages SET ${sets.join(', ')} WHERE id = $1`, params);
}

export async function listMessages(db: Db, conversationId: string): Promise<Message[]> {
  const rows = await db.all(
    `SELECT ${MESSAGE_COLUMNS.join(', ')} FROM messages WHERE conversation_id = $1 ORDER BY seq, created_at, id`,
    [conversationId],
  );
  return rows.map(messageFromRow);
}

function sessionFromRow(row: Row, prefix = ''): Session {
  return {
    id: text(row, `${prefix}id`),
    userId: text(row, `${prefix}user_id`),
    csrf: text(row, `${prefix}csrf`),
    createdAt: number(row, `${prefix}created_at`),
    lastSeenAt: number(row, `${prefix}last_seen_at`),
    expiresAt: number(row, `${prefix}expires_at`),
    revokedAt: numberOrNull(row, `${prefix}revoked_at`),
    ip: textOrNull(row, `${prefix}ip`),
    userAgent: textOrNull(row, `${prefix}user_agent`),
  };
}

function conversationFromRow(row: Row): Conversation {
  return {
    id: text(row, 'id'),
    userId: text(row, 'user_id'),
    title: text(row, 'title'),
    model: textOrNull(row, 'model'),
    createdAt: number(row, 'created_at'),
    updatedAt: number(row, 'updated_at'),
  };
}

function messageFromRow(row: Row): Message {
  return {
    id: text(row, 'id'),
    conversationId: text(row, 'conversation_id'),
    role: oneOf(row, 'role', ['user', 'assistant'] as const),
    content: text(row, 'content'),
    status: oneOf(row, 'status', STATUSES),
    model: textOrNull(row, 'model'),
    requestId: textOrNull(row, 'request_id'),
    error: textOrNull(row, 'error'),
    createdAt: number(row, 'created_at'),
    updatedAt: number(row, 'updated_at'),
  };
}
