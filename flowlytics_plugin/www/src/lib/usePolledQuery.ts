import { useCallback, useEffect, useRef, useState } from "react";

export interface PolledQueryState<T> {
  /** Last successful result for the current key (kept while refreshing). */
  data: T | undefined;
  /** Error of the most recent attempt, cleared by the next success. */
  error: Error | undefined;
  /** A request is in flight. */
  loading: boolean;
  /** `Date.now()` of the last successful load. */
  updatedAt: number | undefined;
  /** Re-run the query now (also restarts the auto-refresh timer). */
  refresh: () => void;
}

interface InternalState<T> {
  key: string;
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  updatedAt: number | undefined;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}

/**
 * Runs `load` whenever `key` changes, on `refresh()`, and every `intervalMs`
 * (0 disables polling; skipped while the browser tab is hidden). In-flight
 * requests are aborted when superseded or on unmount, so a slow response can
 * never overwrite a newer one. Data is cleared when `key` changes (so a
 * different filter/page never shows stale rows) but kept across refreshes.
 */
export function usePolledQuery<T>(
  load: (signal: AbortSignal) => Promise<T>,
  key: string,
  intervalMs: number,
): PolledQueryState<T> {
  const [state, setState] = useState<InternalState<T>>({
    key,
    data: undefined,
    error: undefined,
    loading: true,
    updatedAt: undefined,
  });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });

  useEffect(() => {
    const controller = new AbortController();
    setState((prev) =>
      prev.key === key
        ? { ...prev, loading: true }
        : { key, data: undefined, error: undefined, loading: true, updatedAt: undefined },
    );
    loadRef.current(controller.signal).then(
      (data) => {
        if (controller.signal.aborted) return;
        setState({ key, data, error: undefined, loading: false, updatedAt: Date.now() });
      },
      (err: unknown) => {
        if (controller.signal.aborted || isAbort(err)) return;
        const error = err instanceof Error ? err : new Error(String(err));
        setState((prev) => ({ ...prev, key, error, loading: false }));
      },
    );
    return () => controller.abort();
  }, [key, tick]);

  useEffect(() => {
    if (!intervalMs || intervalMs <= 0) return undefined;
    const id = setInterval(() => {
      if (typeof document !== "undefined" && document.visibilityState === "hidden") return;
      setTick((t) => t + 1);
    }, intervalMs);
    return () => clearInterval(id);
  }, [key, tick, intervalMs]);

  const refresh = useCallback(() => setTick((t) => t + 1), []);

  const current = state.key === key;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: current ? state.loading : true,
    updatedAt: current ? state.updatedAt : undefined,
    refresh,
  };
}
