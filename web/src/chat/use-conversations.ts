/** The conversation list, reloaded whenever an answer settles (titles and order change then). */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client.ts';
import type { ConversationSummary, ListOf } from '../api/types.ts';

export interface ConversationsState {
  readonly conversations: readonly ConversationSummary[];
  readonly error: string | null;
  readonly reload: () => void;
  readonly rename: (id: string, title: string) => Promise<void>;
  readonly remove: (id: string) => Promise<void>;
}

export function useConversations(api: ApiClient): ConversationsState {
  const [conversations, setConversations] = useState<readonly ConversationSummary[]>([]);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(() => {
    api
      .json<ListOf<ConversationSummary>>('GET', '/api/conversations')
      .then((list) => {
        setConversations(list.data);
        setError(null);
      })
      .catch((e: unknown) => {
        setError(e instanceof Error ? e.message : String(e));
      });
  }, [api]);

  useEffect(reload, [reload]);

  const rename = useCallback(
    async (id: string, title: string) => {
      const updated = await api.json<ConversationSummary>(
        'PATCH',
        `/api/conversations/${encodeURIComponent(id)}`,
        { title },
      );
      setConversations((list) => list.map((c) => (c.id === id ? updated : c)));
    },
    [api],
  );

  const remove = useCallback(
    async (id: string) => {
      await api.json('DELETE', `/api/conversations/${encodeURIComponent(id)}`);
      setConversations((list) => list.filter((c) => c.id !== id));
    },
    [api],
  );

  return { conversations, error, reload, rename, remove };
}
