/** The models the caller may use, and the one picked (remembered across visits). */
import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api/client.ts';
import type { ListOf, Model } from '../api/types.ts';
import { readStorage, writeStorage } from '../ui/storage.ts';

const STORAGE_KEY = 'sluice.model';

export function useModels(api: ApiClient): {
  models: readonly Model[];
  model: string;
  setModel: (id: string) => void;
  error: string | null;
} {
  const [models, setModels] = useState<readonly Model[]>([]);
  const [model, setModelState] = useState(() => readStorage(STORAGE_KEY) ?? '');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api
      .json<ListOf<Model>>('GET', '/api/models')
      .then((list) => {
        const sorted = [...list.data].sort((a, b) => a.id.localeCompare(b.id));
        setModels(sorted);
        setModelState((current) =>
          sorted.some((m) => m.id === current) ? current : (sorted[0]?.id ?? ''),
        );
      })
      .catch((e: unknown) => {
        setError(e instanceof Error ? e.message : String(e));
      });
  }, [api]);

  const setModel = (id: string) => {
    setModelState(id);
    writeStorage(STORAGE_KEY, id);
  };
  return { models, model, setModel, error };
}
