import { useCallback, useEffect, useMemo, useRef, useState, type CSSProperties } from "react";
import { ApiError } from "../api/client";
import * as s from "../components/styles";
import { formatTimestamp } from "../lib/format";
import { LineageGraphView, type RenderTiming } from "./LineageGraph";
import type { GraphActions } from "./LineageNode";
import { SidePanel } from "./SidePanel";
import { SearchBox } from "./SearchBox";
import { copyText, downloadBlob, downloadText, fileStem, svgSize, svgToPng } from "./exportFiles";
import { dagGroupIds, expandedGroupIds } from "./graph";
import type { LayoutResult } from "./layout";
import { toMermaid } from "./mermaid";
import { toSvg } from "./svg";
import {
  clampDepth,
  isoToLocalInput,
  localInputToIso,
  readLineageUrl,
  writeLineageUrl,
  type LineageUrlState,
} from "./urlState";
import { useLineageGraph } from "./useLineageGraph";
import { DIRECTIONS, MAX_DEPTH, MIN_DEPTH, type Direction, type GraphQuery, type Level } from "./types";

export interface LineageExplorerProps {
  /** "page": the Lineage nav page (search, deep links); "dag": the DAG tab (roots = the DAG's jobs). */
  mode: "page" | "dag";
  dagId?: string;
  /** Poll interval of `graph/version` (ms); 0 disables live updates. */
  pollMs?: number;
}

const label: CSSProperties = { display: "flex", alignItems: "center", gap: "6px" };

function initialState(mode: "page" | "dag"): LineageUrlState {
  if (mode === "page" && typeof window !== "undefined") return readLineageUrl(window.location.search);
  // The DAG tab: this DAG's datasets and their immediate producers / consumers.
  return { node: null, root: null, direction: "both", depth: 2, level: "job", collapse: true, expand: [], asOf: null };
}

/**
 * Search + controls + interactive graph + side panel: the Lineage page, and
 * (mode "dag") the lineage tab of a DAG.
 */
export function LineageExplorer({ mode, dagId, pollMs }: LineageExplorerProps) {
  const [view, setView] = useState<LineageUrlState>(() => initialState(mode));
  const { root, node: selected, direction, depth, level, collapse, expand, asOf } = view;
  const update = useCallback((patch: Partial<LineageUrlState>) => setView((v) => ({ ...v, ...patch })), []);

  // Deep link: keep the URL in step (page mode), without adding history entries.
  useEffect(() => {
    if (mode !== "page" || typeof window === "undefined") return;
    const search = writeLineageUrl(window.location.search, view);
    if (search !== window.location.search) {
      window.history.replaceState(window.history.state, "", `${window.location.pathname}${search}${window.location.hash}`);
    }
  }, [mode, view]);
  useEffect(() => {
    if (mode !== "page") return undefined;
    const onPop = () => setView(readLineageUrl(window.location.search));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, [mode]);

  const query = useMemo<GraphQuery | null>(() => {
    const base = { direction, depth, level, collapse, expand, asOf };
    if (mode === "dag") return dagId ? { ...base, dagId } : null;
    return root ? { ...base, nodeId: root } : null;
  }, [mode, dagId, root, direction, depth, level, collapse, expand, asOf]);

  const data = useLineageGraph(query, pollMs);
  const graph = data.graph;

  // DAG tab: show this DAG's own tasks expanded once (its other groups stay collapsed).
  const autoExpanded = useRef(false);
  useEffect(() => {
    if (mode !== "dag" || autoExpanded.current || !graph || !collapse) return;
    autoExpanded.current = true;
    const own = dagGroupIds(graph, dagId).filter((id) => !expand.includes(id));
    if (own.length > 0) update({ expand: [...expand, ...own] });
  }, [mode, graph, dagId, collapse, expand, update]);

  const layoutRef = useRef<LayoutResult | null>(null);
  const onLayout = useCallback((layout: LayoutResult) => {
    layoutRef.current = layout;
  }, []);
  const [timing, setTiming] = useState<RenderTiming | null>(null);

  const actions = useMemo<GraphActions>(
    () => ({
      expandNeighbours: data.expandNeighbours,
      toggleGroup: (groupId, open) =>
        setView((v) => ({
          ...v,
          expand: open ? [...v.expand.filter((g) => g !== groupId), groupId] : v.expand.filter((g) => g !== groupId),
        })),
    }),
    [data.expandNeighbours],
  );

  const focus = useCallback((nodeId: string) => update({ root: nodeId, node: nodeId }), [update]);
  const select = useCallback((nodeId: string) => update({ node: nodeId }), [update]);

  const graphNode = useMemo(() => (graph && selected ? graph.nodes.find((n) => n.id === selected) : undefined), [graph, selected]);
  const openGroups = graph ? expandedGroupIds(graph) : [];
  const nodeNames = useMemo(() => new Map((graph?.nodes ?? []).map((n) => [n.id, n.name])), [graph]);
  const rootName = graph ? (graph.nodes.find((n) => graph.rootIds.includes(n.id))?.name ?? root ?? dagId ?? "") : "";

  // Exports.
  const [mermaid, setMermaid] = useState<string | null>(null);
  const [exportMessage, setExportMessage] = useState("");
  const title = mode === "dag" ? `Lineage of DAG ${dagId ?? ""}` : `Lineage of ${rootName}`;
  const stem = fileStem(mode === "dag" ? dagId : rootName);
  const exportSvg = () => {
    if (!graph || !layoutRef.current) return null;
    return toSvg(graph, layoutRef.current, level, { title });
  };

  return (
    <div data-testid={mode === "dag" ? "flowlytics-dag-lineage" : "flowlytics-lineage-page"} style={s.page}>
      <h2 style={s.title}>{mode === "dag" ? "Lineage of this DAG's datasets" : "Flowlytics — Lineage"}</h2>

      <div style={s.toolbar}>
        {mode === "page" ? <SearchBox onPick={(item) => focus(item.id)} autoFocus={!root} /> : null}
        <label style={label}>
          Direction
          <select
            data-testid="flowlytics-direction"
            style={s.select}
            value={direction}
            onChange={(e) => update({ direction: e.target.value as Direction })}
          >
            {DIRECTIONS.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </label>
        <label style={label}>
          Depth
          <input
            type="number"
            data-testid="flowlytics-depth"
            min={MIN_DEPTH}
            max={MAX_DEPTH}
            value={depth}
            style={{ ...s.select, width: "64px" }}
            onChange={(e) => {
              if (e.target.value !== "") update({ depth: clampDepth(Number(e.target.value)) });
            }}
          />
        </label>
        <label style={label} title="Field-to-field lineage from the columnLineage facet">
          <input
            type="checkbox"
            data-testid="flowlytics-column-level"
            checked={level === "column"}
            onChange={(e) => update({ level: (e.target.checked ? "column" : "job") as Level })}
          />
          Columns
        </label>
        <label style={label} title="Show Airflow tasks as one node per DAG (expand a DAG with ⊞)">
          <input
            type="checkbox"
            data-testid="flowlytics-collapse"
            checked={collapse}
            onChange={(e) => update({ collapse: e.target.checked })}
          />
          Group tasks by DAG
        </label>
        <label style={label} title="Lineage as it was at this time (empty: now)">
          As of
          <input
            type="datetime-local"
            data-testid="flowlytics-as-of"
            style={{ ...s.select, width: "190px" }}
            value={isoToLocalInput(asOf)}
            onChange={(e) => update({ asOf: localInputToIso(e.target.value) })}
          />
        </label>
        <span style={{ display: "flex", gap: "6px", marginLeft: "auto" }}>
          <button
            type="button"
            data-testid="flowlytics-export-mermaid"
            style={graph ? s.button : s.buttonDisabled}
            disabled={!graph}
            onClick={() => graph && setMermaid(toMermaid(graph, level))}
          >
            Mermaid
          </button>
          <button
            type="button"
            data-testid="flowlytics-export-svg"
            style={graph ? s.button : s.buttonDisabled}
            disabled={!graph}
            onClick={() => {
              const svg = exportSvg();
              if (svg) downloadText(svg, `${stem}.svg`, "image/svg+xml");
            }}
          >
            SVG
          </button>
          <button
            type="button"
            data-testid="flowlytics-export-png"
            style={graph ? s.button : s.buttonDisabled}
            disabled={!graph}
            onClick={() => {
              const svg = exportSvg();
              if (!svg) return;
              const { width, height } = svgSize(svg);
              setExportMessage("Rendering PNG…");
              svgToPng(svg, width, height).then(
                (blob) => {
                  downloadBlob(blob, `${stem}.png`);
                  setExportMessage("");
                },
                (err: unknown) => setExportMessage(`PNG export failed: ${err instanceof Error ? err.message : String(err)}`),
              );
            }}
          >
            PNG
          </button>
          <button type="button" data-testid="flowlytics-refresh" style={s.button} onClick={data.refresh}>
            Refresh
          </button>
        </span>
      </div>

      {openGroups.length > 0 || (collapse && expand.length > 0) ? (
        <div style={{ ...s.toolbar, marginTop: "-4px", fontSize: "12px" }} data-testid="flowlytics-open-groups">
          <span style={s.muted}>Expanded DAGs:</span>
          {[...new Set([...expand, ...openGroups])].map((id) => (
            <button
              key={id}
              type="button"
              style={{ ...s.button, padding: "0 8px", fontSize: "12px" }}
              title="Collapse into one node"
              onClick={() => actions.toggleGroup(id, false)}
            >
              {nodeNames.get(id) ?? id} ✕
            </button>
          ))}
        </div>
      ) : null}

      <div style={{ ...s.muted, fontSize: "12px", margin: "-4px 0 8px 0" }} data-testid="flowlytics-status">
        {graph ? `${graph.nodes.length} nodes · ${graph.edges.length} edges` : ""}
        {timing ? ` · laid out in ${timing.layoutMs.toFixed(0)} ms, shown in ${timing.totalMs.toFixed(0)} ms` : ""}
        {data.updatedAt ? ` · updated ${formatTimestamp(new Date(data.updatedAt).toISOString()).slice(11)}` : ""}
        {asOf ? ` · as of ${formatTimestamp(asOf)}` : data.version !== undefined ? " · live" : ""}
        {data.loading && graph ? " · loading…" : ""}
        {exportMessage ? ` · ${exportMessage}` : ""}
      </div>

      {graph?.truncated ? (
        <div data-testid="flowlytics-truncated" style={{ ...s.notice, borderColor: "#a16207" }}>
          The graph was cut at the server's node limit: lower the depth, pick a direction, or group tasks by DAG.
        </div>
      ) : null}

      {data.error ? (
        <div data-testid="flowlytics-error" role="alert" style={s.errorBox}>
          <strong>Could not load the lineage</strong>
          {data.error instanceof ApiError ? ` (HTTP ${data.error.status})` : ""}: {data.error.message}
        </div>
      ) : null}

      {mode === "page" && !root ? (
        <div data-testid="flowlytics-empty" data-reason="no-root" style={s.notice}>
          Search for a job or a dataset to see where its data comes from and where it goes. Click a node for its details
          and impact, double-click it (or press its +) to show its neighbours.
        </div>
      ) : null}
      {mode === "dag" && !dagId ? (
        <div data-testid="flowlytics-empty" data-reason="no-dag" style={s.notice}>
          Open this tab from a DAG's page.
        </div>
      ) : null}
      {!graph && data.loading && query ? (
        <div data-testid="flowlytics-loading" style={{ ...s.notice, ...s.muted }}>
          Loading the lineage…
        </div>
      ) : null}
      {graph && graph.nodes.length === 0 ? (
        <div data-testid="flowlytics-empty" data-reason="no-lineage" style={s.notice}>
          {mode === "dag"
            ? "No lineage received for this DAG yet: its tasks have not reported inputs or outputs through OpenLineage."
            : "No lineage for this node."}
        </div>
      ) : null}

      {graph && graph.nodes.length > 0 ? (
        <div style={{ display: "flex", gap: "12px", alignItems: "stretch" }}>
          <div style={{ flex: "1 1 auto", minWidth: 0 }}>
            <LineageGraphView
              graph={graph}
              level={level}
              selectedId={selected}
              expandedNodes={data.expandedNodes}
              expanding={data.expanding}
              actions={actions}
              onSelect={select}
              receivedAt={data.receivedAt}
              fitKey={JSON.stringify([mode, dagId, root, direction, depth, level, collapse, expand, data.expandedNodes])}
              onLayout={onLayout}
              onRendered={setTiming}
              stale={data.stale}
              height={mode === "dag" ? "calc(100vh - 400px)" : "calc(100vh - 250px)"}
            />
          </div>
          {selected ? (
            <SidePanel
              key={selected}
              nodeId={selected}
              graphNode={graphNode}
              version={data.version}
              expanded={data.expandedNodes.includes(selected)}
              onClose={() => update({ node: null })}
              onFocus={focus}
              onExpand={data.expandNeighbours}
            />
          ) : null}
        </div>
      ) : null}

      {mermaid !== null ? <MermaidDialog text={mermaid} filename={`${stem}.mmd`} onClose={() => setMermaid(null)} /> : null}
    </div>
  );
}

function MermaidDialog({ text, filename, onClose }: { text: string; filename: string; onClose: () => void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div
      role="dialog"
      aria-modal="true"
      aria-label="Mermaid export"
      data-testid="flowlytics-mermaid-dialog"
      style={{
        position: "fixed",
        inset: 0,
        zIndex: 1000,
        background: "rgba(0,0,0,0.45)",
        display: "flex",
        alignItems: "center",
        justifyContent: "center",
      }}
      onClick={onClose}
    >
      <div
        style={{
          background: "Canvas",
          color: "CanvasText",
          borderRadius: "8px",
          padding: "16px",
          width: "min(900px, 90vw)",
          boxShadow: "0 10px 40px rgba(0,0,0,0.35)",
        }}
        onClick={(e) => e.stopPropagation()}
      >
        <div style={{ display: "flex", alignItems: "center", gap: "8px", marginBottom: "8px" }}>
          <strong style={{ flex: "1 1 auto" }}>Mermaid flowchart of the visible graph</strong>
          <button
            type="button"
            data-testid="flowlytics-mermaid-copy"
            style={s.button}
            onClick={() => copyText(text).then(setCopied)}
          >
            {copied === true ? "Copied" : copied === false ? "Copy failed" : "Copy"}
          </button>
          <button
            type="button"
            data-testid="flowlytics-mermaid-download"
            style={s.button}
            onClick={() => downloadText(text, filename, "text/plain")}
          >
            Download
          </button>
          <button type="button" style={s.button} onClick={onClose}>
            Close
          </button>
        </div>
        <textarea
          readOnly
          data-testid="flowlytics-mermaid-text"
          value={text}
          style={{ ...s.code, width: "100%", height: "60vh", boxSizing: "border-box", resize: "vertical", fontSize: "12px" }}
        />
      </div>
    </div>
  );
}
