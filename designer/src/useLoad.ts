import { useCallback, useEffect, useState } from 'react';
import type { ApiError } from './api/client';

/** Loads once per change of `key`; `reload` loads again (e.g. after a save or on a timer). */
export function useLoad<T>(load: () => Promise<T>, key: unknown[]) {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const run = useCallback(load, key);
  const reload = useCallback(() => run().then(d => { setData(d); setError(undefined); }, setError), [run]);
  useEffect(() => { setData(undefined); void reload(); }, [reload]);
  return { data, error, reload, setData };
}
