import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';

/** One object from the API (GET path), with its error and a reload. */
export function useResource<T>(path: string) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctrl = new AbortController();
    api<T>('GET', path, { signal: ctrl.signal })
      .then((r) => {
        setData(r.data);
        setError(null);
      })
      .catch((e) => {
        if ((e as { name?: string }).name !== 'AbortError') setError(e);
      });
    return () => ctrl.abort();
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, setData, error, reload };
}
