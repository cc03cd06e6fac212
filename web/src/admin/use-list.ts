/** An admin list (`{data: [...]}`) with reload and the last error, shared by the panels. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client.ts';
import type { ListOf } from '../api/types.ts';

export interface ListState<T> {
  readonly items: readonly T[];
  readonly error: string | null;
  readonly setError: (error: string | null) => void;
  readonly reload: () => void;
}

export function useList<T>(api: ApiClient, path: string): ListState<T> {
  const [items, setItems] = useState<readonly T[]>([]);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    api
      .json<ListOf<T>>('GET', path)
      .then((list) => {
        setItems(list.data);
        setError(null);
      })
      .catch((e: unknown) => {
        setError(errorText(e));
      });
  }, [api, path]);
  useEffect(reload, [reload]);
  return { items, error, setError, reload };
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A timestamp in the reader's own locale and zone; '—' for none. */
export function when(iso: string | null, lang: string): string {
  return iso === null
    ? '—'
    : new Date(iso).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });
}
