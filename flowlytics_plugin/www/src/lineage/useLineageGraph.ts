import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { fetchGraph, graphParams } from "../api/lineage";
import { LIVE_POLL_MS, useLiveVersion, useRefreshOnChange } from "../lib/useLiveVersion";
import { mergeGraphs } from "./graph";
import type { GraphQuery, LineageGraph } from "./types";

/** Node cap asked of the server for one view. */
export const MAX_NODES = 2_000;

export interface LineageGraphState {
  /** The base graph merged with every expanded neighbourhood. */
  graph: LineageGraph | undefined;
  /** `performance.now()` when the current `graph` arrived (for render timing). */
  receivedAt: number | undefined;
  /** `graph` is the previous query's, shown while the current one loads. */
  stale: boolean;
  loading: boolean;
  error: Error | undefined;
  /** Node ids whose neighbourhood was merged in ("expanded"). */
  expandedNodes: string[];
  /** Node ids whose neighbourhood is being fetched. */
  expanding: string[];
  /** Fetch `nodeId`'s neighbours (depth 1, both directions) and merge them in. */
  expandNeighbours: (nodeId: string) => void;
  refresh: () => void;
  /** Last `graph/version` seen; undefined until the first poll answered. */
  version: string | undefined;
  /** `Date.now()` of the last successful load. */
  updatedAt: number | undefined;
}

interface Loaded {
  key: string;
  base: LineageGraph;
  extras: Map<string, LineageGraph>;
  receivedAt: number;
  updatedAt: number;
}

const NONE: string[] = [];
const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());

function neighbourQuery(query: GraphQuery, nodeId: string): GraphQuery {
  return { ...query, dagId: null, nodeId, direction: "both", depth: 1 };
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}

/**
 * Loads the lineage graph for `query` (null = nothing to show), merges in the
 * neighbourhoods the user expanded, and reloads everything when
 * `graph/version` changes (new lineage arrived), without a page reload.
 * Expanded neighbourhoods are forgotten when the root (nodeId / dagId) changes.
 */
export function useLineageGraph(query: GraphQuery | null, pollMs: number = LIVE_POLL_MS): LineageGraphState {
  const key = query ? JSON.stringify(graphParams({ ...query, maxNodes: MAX_NODES })) : "";
  const rootKey = query ? `${query.dagId ?? ""}\u0000${query.nodeId ?? ""}` : "";
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [expandedNodes, setExpandedNodes] = useState<{ rootKey: string; ids: string[] }>({ rootKey, ids: [] });
  const [expanding, setExpanding] = useState<string[]>([]);
  const [tick, setTick] = useState(0);

  const queryRef = useRef(query);
  queryRef.current = query;
  const expandedIds = expandedNodes.rootKey === rootKey ? expandedNodes.ids : NONE;
  const expandedRef = useRef(expandedIds);
  expandedRef.current = expandedIds;
  const loadedRef = useRef(loaded);
  loadedRef.current = loaded;

  // Base graph + every expanded neighbourhood, on query change, refresh, or a new graph version.
  useEffect(() => {
    const q = queryRef.current;
    if (!q) {
      setLoaded(undefined);
      setLoading(false);
      return undefined;
    }
    const controller = new AbortController();
    const ids = expandedRef.current;
    setLoading(true);
    const withCap = { ...q, maxNodes: MAX_NODES };
    Promise.all([
      fetchGraph(withCap, controller.signal),
      ...ids.map((id) =>
        fetchGraph(neighbourQuery(withCap, id), controller.signal).then(
          (g) => [id, g] as const,
          () => null, // a vanished node must not break the whole view
        ),
      ),
    ]).then(
      ([base, ...extras]) => {
        if (controller.signal.aborted) return;
        const map = new Map<string, LineageGraph>();
        for (const entry of extras as Array<readonly [string, LineageGraph] | null>) if (entry) map.set(entry[0], entry[1]);
        setLoaded({ key, base: base as LineageGraph, extras: map, receivedAt: now(), updatedAt: Date.now() });
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted || isAbort(err)) return;
        setError(err instanceof Error ? err : new Error(String(err)));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [key, tick]);

  // Live updates: a new graph version reloads the view.
  const version = useLiveVersion(pollMs, query !== null);
  useRefreshOnChange(version, () => setTick((t) => t + 1));

  const expandNeighbours = useCallback(
    (nodeId: string) => {
      const q = queryRef.current;
      if (!q || expandedRef.current.includes(nodeId)) return;
      setExpanding((list) => (list.includes(nodeId) ? list : [...list, nodeId]));
      fetchGraph(neighbourQuery({ ...q, maxNodes: MAX_NODES }, nodeId)).then(
        (g) => {
          setExpanding((list) => list.filter((x) => x !== nodeId));
          setExpandedNodes((prev) => ({
            rootKey,
            ids: prev.rootKey === rootKey ? [...prev.ids.filter((x) => x !== nodeId), nodeId] : [nodeId],
          }));
          setLoaded((prev) => {
            if (!prev || prev.key !== key) return prev;
            const extras = new Map(prev.extras);
            extras.set(nodeId, g);
            return { ...prev, extras, receivedAt: now(), updatedAt: Date.now() };
          });
        },
        (err: unknown) => {
          setExpanding((list) => list.filter((x) => x !== nodeId));
          setError(err instanceof Error ? err : new Error(String(err)));
        },
      );
    },
    [key, rootKey],
  );

  const refresh = useCallback(() => setTick((t) => t + 1), []);

  // While a new query loads, the previous graph stays on screen (marked stale).
  const current = query ? loaded : undefined;
  const graph = useMemo(() => {
    if (!current) return undefined;
    const extras = expandedIds.map((id) => current.extras.get(id)).filter((g): g is LineageGraph => g !== undefined);
    return mergeGraphs(current.base, ...extras);
  }, [current, expandedIds]);

  return {
    graph,
    receivedAt: current?.receivedAt,
    stale: current !== undefined && current.key !== key,
    loading: loading || (query !== null && (!current || current.key !== key)),
    error,
    expandedNodes: expandedIds,
    expanding,
    expandNeighbours,
    refresh,
    version,
    updatedAt: current?.updatedAt,
  };
}
