import { useCallback, useEffect, useState } from 'react';
import { api, query, type ApiResult, type PageMeta } from '../api/client';

export const PAGE_SIZE = 20;

/** One page of a list route (`?limit=&offset=` plus filters), reloaded when they change or on `reload()`. */
export function usePage<T>(path: string, params: Record<string, string | number | undefined> = {}, pageSize = PAGE_SIZE) {
  const [offset, setOffset] = useState(0);
  const [result, setResult] = useState<ApiResult<T[]> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(params);
  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    api<T[]>('GET', `${path}${query({ ...params, limit: pageSize, offset })}`, { signal: ctrl.signal })
      .then((r) => {
        setResult(r);
        setError(null);
        // A page emptied by a deletion steps back one page.
        if (r.data.length === 0 && offset > 0) setOffset(Math.max(0, offset - pageSize));
      })
      .catch((e) => {
        if ((e as { name?: string }).name !== 'AbortError') setError(e);
      })
      .finally(() => setLoading(false));
    return () => ctrl.abort();
    // params are compared by value (key), not by identity.
  }, [path, key, offset, tick, pageSize]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { items: result?.data ?? [], meta: result?.meta as PageMeta | undefined, error, loading, offset, setOffset, reload };
}

/** Runs one mutation at a time and keeps its error for the page's banner. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <R>(fn: () => Promise<R>): Promise<R | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}
