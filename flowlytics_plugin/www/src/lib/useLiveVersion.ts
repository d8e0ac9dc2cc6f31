import { useEffect, useRef, useState } from "react";
import { fetchGraphVersion } from "../api/lineage";

/** How often `graph/version` is polled for live updates (as the lineage page). */
export const LIVE_POLL_MS = 5_000;

/**
 * `graph/version`, polled every `pollMs` (skipped while the tab is hidden):
 * an opaque token that changes whenever Flowlytics receives an event. Views
 * refresh their data when it changes, without a page reload. Undefined until
 * the first answer; errors keep the last value (the views show their own).
 */
export function useLiveVersion(pollMs: number = LIVE_POLL_MS, enabled = true): string | undefined {
  const [version, setVersion] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (!enabled || pollMs <= 0) return undefined;
    let controller: AbortController | null = null;
    let cancelled = false;
    const poll = () => {
      if (typeof document !== "undefined" && document.visibilityState === "hidden") return;
      controller?.abort();
      controller = new AbortController();
      fetchGraphVersion(controller.signal).then(
        (v) => {
          if (!cancelled && v) setVersion(v);
        },
        () => undefined,
      );
    };
    // Poll at once: the first answer is the baseline that later changes are compared with.
    const id = setInterval(poll, pollMs);
    poll();
    return () => {
      cancelled = true;
      clearInterval(id);
      controller?.abort();
    };
  }, [pollMs, enabled]);
  return version;
}

/**
 * Calls `refresh` whenever `token` changes after its first known value (the
 * first value is what the data was just loaded with). When `scope` changes
 * (e.g. another batch is shown, so the data reloads by itself), the next known
 * value is a new baseline rather than a change.
 */
export function useRefreshOnChange(
  token: string | number | undefined,
  refresh: () => void,
  scope: string = "",
): void {
  const seen = useRef<{ scope: string; token: string | number | undefined }>({ scope, token: undefined });
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;
  useEffect(() => {
    if (seen.current.scope !== scope) seen.current = { scope, token: undefined };
    if (token === undefined) return;
    if (seen.current.token !== undefined && seen.current.token !== token) refreshRef.current();
    seen.current = { scope, token };
  }, [token, scope]);
}
