import { useEffect, useLayoutEffect, useMemo, useRef, useState, type CSSProperties, type ReactNode } from "react";
import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  Position,
  ReactFlowProvider,
  getViewportForBounds,
  useReactFlow,
  useStore,
  type Edge,
  type NodeHandle,
} from "@xyflow/react";
import { stateAccent, structureKey, transformationLabel } from "./graph";
import { fieldRowCenter, layoutGraph, showsFields, type LayoutResult } from "./layout";
import {
  COMPACT_ZOOM,
  CompactContext,
  GraphActionsContext,
  LineageNode,
  fieldSourceHandle,
  fieldTargetHandle,
  type GraphActions,
  type LineageFlowNode,
} from "./LineageNode";
import { ensureGraphStyles, PALETTES, useColorMode } from "./theme";
import type { GraphNode, Level, LineageGraph } from "./types";

const nodeTypes = { lineage: LineageNode };

const HANDLE = 6;
const MIN_ZOOM = 0.02;
const MAX_FIT_ZOOM = 1.1;
const FIT_PADDING = 0.08;

/** Where LineageNode draws its handles: node-level at mid-height, field rows in column mode. */
export function nodeHandles(node: GraphNode, level: Level, size: { width: number; height: number }): NodeHandle[] {
  const at = (type: "source" | "target", id: string | null, y: number): NodeHandle => ({
    id,
    type,
    position: type === "source" ? Position.Right : Position.Left,
    x: type === "source" ? size.width - HANDLE / 2 : -HANDLE / 2,
    y: y - HANDLE / 2,
    width: HANDLE,
    height: HANDLE,
  });
  const handles = [at("target", null, size.height / 2), at("source", null, size.height / 2)];
  if (showsFields(node, level)) {
    node.fields.forEach((_, i) => {
      handles.push(at("target", fieldTargetHandle(i), fieldRowCenter(i)), at("source", fieldSourceHandle(i), fieldRowCenter(i)));
    });
  }
  return handles;
}

/** Column-level edge labels are drawn only up to this many edges (beyond, they are noise and cost time). */
export const MAX_LABELLED_EDGES = 300;

export interface RenderTiming {
  nodes: number;
  edges: number;
  /** Layout time (ms). */
  layoutMs: number;
  /** From the data's arrival to the nodes being measured and painted (ms). */
  totalMs: number;
}

export interface LineageGraphProps {
  graph: LineageGraph;
  level: Level;
  selectedId: string | null;
  expandedNodes: string[];
  expanding: string[];
  actions: GraphActions;
  onSelect: (nodeId: string) => void;
  /** `performance.now()` when `graph` arrived, for {@link RenderTiming}. */
  receivedAt?: number;
  /** Changes when the view should be fitted again (a new root). */
  fitKey: string;
  onLayout?: (layout: LayoutResult) => void;
  onRendered?: (timing: RenderTiming) => void;
  stale?: boolean;
  height?: string;
}

/** Provides the level of detail (compact below {@link COMPACT_ZOOM}) to the nodes. */
function FlowCanvas({ children }: { children: ReactNode }) {
  const compact = useStore((state) => state.transform[2] < COMPACT_ZOOM);
  return <CompactContext.Provider value={compact}>{children}</CompactContext.Provider>;
}

/** The interactive lineage graph (pan, zoom, select, expand). */
export function LineageGraphView(props: LineageGraphProps) {
  useLayoutEffect(ensureGraphStyles, []);
  return (
    <ReactFlowProvider>
      <GraphInner {...props} />
    </ReactFlowProvider>
  );
}

function GraphInner({
  graph,
  level,
  selectedId,
  expandedNodes,
  expanding,
  actions,
  onSelect,
  receivedAt,
  fitKey,
  onLayout,
  onRendered,
  stale = false,
  height = "calc(100vh - 260px)",
}: LineageGraphProps) {
  const mode = useColorMode();
  const palette = PALETTES[mode];
  const containerRef = useRef<HTMLDivElement>(null);

  // Layout depends on the structure only: a run-state change recolours in place.
  const key = useMemo(() => structureKey(graph, level), [graph, level]);
  const graphRef = useRef(graph);
  graphRef.current = graph;
  const layout = useMemo(() => layoutGraph(graphRef.current, level), [key, level]);
  useEffect(() => onLayout?.(layout), [layout, onLayout]);

  const groupNames = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n.name])), [graph]);
  const roots = useMemo(() => new Set(graph.rootIds), [graph]);
  const nodes = useMemo<LineageFlowNode[]>(
    () =>
      graph.nodes.map((node) => {
        const size = layout.sizes.get(node.id) ?? { width: 260, height: 66 };
        return {
          id: node.id,
          type: "lineage",
          position: layout.positions.get(node.id) ?? { x: 0, y: 0 },
          width: size.width,
          height: size.height,
          // Known sizes and handle positions: React Flow draws nodes and edges in
          // the first commit, without waiting for DOM measurements.
          measured: { width: size.width, height: size.height },
          handles: nodeHandles(node, level, size),
          draggable: false,
          connectable: false,
          selectable: false,
          data: {
            node,
            level,
            width: size.width,
            height: size.height,
            selected: node.id === selectedId,
            root: roots.has(node.id),
            expanded: expandedNodes.includes(node.id),
            expanding: expanding.includes(node.id),
            groupName: node.parentId ? (groupNames.get(node.parentId) ?? null) : null,
          },
        };
      }),
    [graph, layout, level, selectedId, roots, expandedNodes, expanding, groupNames],
  );

  const edges = useMemo<Edge[]>(() => {
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const labelled = level === "column" && graph.edges.length <= MAX_LABELLED_EDGES;
    return graph.edges.map((edge) => {
      const s = byId.get(edge.source);
      const t = byId.get(edge.target);
      const si = s && showsFields(s, level) && edge.sourceField ? s.fields.findIndex((f) => f.name === edge.sourceField) : -1;
      const ti = t && showsFields(t, level) && edge.targetField ? t.fields.findIndex((f) => f.name === edge.targetField) : -1;
      const active = selectedId !== null && (edge.source === selectedId || edge.target === selectedId);
      const colour = active ? palette.edgeActive : palette.edge;
      const label = labelled ? transformationLabel(edge) : "";
      return {
        id: edge.id,
        source: edge.source,
        target: edge.target,
        sourceHandle: si >= 0 ? fieldSourceHandle(si) : null,
        targetHandle: ti >= 0 ? fieldTargetHandle(ti) : null,
        selectable: false,
        focusable: false,
        label: label || undefined,
        labelBgPadding: [3, 1] as [number, number],
        style: { stroke: colour, strokeWidth: active ? 2.2 : 1.4 },
        markerEnd: { type: MarkerType.ArrowClosed, color: colour, width: 16, height: 16 },
        zIndex: active ? 1 : 0,
      };
    });
  }, [graph, level, selectedId, palette]);

  // The fitted viewport is computed before React Flow first renders (from
  // the layout's bounds and the container's size), so the first frame is
  // already fitted and its level of detail already right: no render at zoom
  // 1 followed by a re-render after fitView.
  const [box, setBox] = useState<{ width: number; height: number } | null>(null);
  useLayoutEffect(() => {
    const el = containerRef.current;
    if (!el) return undefined;
    const measure = () => {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) setBox((b) => (b && b.width === r.width && b.height === r.height ? b : { width: r.width, height: r.height }));
    };
    measure();
    if (typeof ResizeObserver === "undefined") return undefined;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const fitted = useMemo(
    () =>
      box
        ? getViewportForBounds(
            { x: 0, y: 0, width: Math.max(layout.width, 1), height: Math.max(layout.height, 1) },
            box.width,
            box.height,
            MIN_ZOOM,
            MAX_FIT_ZOOM,
            FIT_PADDING,
          )
        : null,
    [box, layout],
  );

  // Fit again when the view changes root (once its graph has arrived).
  const { setViewport } = useReactFlow();
  const fittedKey = useRef<string | undefined>(undefined);
  useLayoutEffect(() => {
    if (!fitted) return;
    if (fittedKey.current === undefined) {
      // The first render used `fitted` as its default viewport: right, unless
      // the graph on screen was a previous query's (then fit when it arrives).
      fittedKey.current = stale ? "\u0000stale" : fitKey;
      return;
    }
    if (stale) return;
    if (fittedKey.current !== fitKey) {
      fittedKey.current = fitKey;
      void setViewport(fitted);
    }
  }, [fitted, fitKey, stale, setViewport]);

  // Timing, after the commit that put these nodes on screen: wait (frame by
  // frame) until every node and edge element exists, then one more task so
  // that the frame has been painted.
  const measured = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (nodes.length === 0 || !fitted || receivedAt === undefined || measured.current === receivedAt) return undefined;
    let cancelled = false;
    let frames = 0;
    const expectedEdges = edges.length;
    const check = () => {
      if (cancelled) return;
      const el = containerRef.current;
      const shownNodes = el ? el.querySelectorAll(".react-flow__node").length : 0;
      const shownEdges = el ? el.querySelectorAll(".react-flow__edge").length : 0;
      if ((shownNodes < nodes.length || shownEdges < expectedEdges) && frames++ < 120) {
        requestAnimationFrame(check);
        return;
      }
      measured.current = receivedAt;
      setTimeout(() => {
        if (cancelled) return;
        const totalMs = performance.now() - receivedAt;
        const timing: RenderTiming = { nodes: shownNodes, edges: shownEdges, layoutMs: layout.ms, totalMs };
        if (el) {
          el.dataset.renderMs = totalMs.toFixed(1);
          el.dataset.layoutMs = layout.ms.toFixed(1);
          el.dataset.renderedNodes = String(shownNodes);
          el.dataset.renderedEdges = String(shownEdges);
        }
        if (typeof performance !== "undefined" && performance.mark) {
          performance.mark("flowlytics:graph-rendered", { detail: timing });
        }
        onRendered?.(timing);
      }, 0);
    };
    requestAnimationFrame(check);
    return () => {
      cancelled = true;
    };
  }, [nodes, edges.length, receivedAt, fitted, layout, onRendered]);

  return (
    <GraphActionsContext.Provider value={actions}>
      <div
        ref={containerRef}
        className="flowlytics-flow"
        data-testid="flowlytics-graph"
        data-color-mode={mode}
        data-node-count={graph.nodes.length}
        data-edge-count={graph.edges.length}
        data-layout-key={key}
        style={
          {
            height,
            minHeight: "420px",
            width: "100%",
            border: `1px solid color-mix(in srgb, currentColor 20%, transparent)`,
            borderRadius: "6px",
            opacity: stale ? 0.6 : 1,
            transition: "opacity 0.15s",
            "--flowlytics-bg": palette.bg,
            "--flowlytics-fg": palette.fg,
            "--flowlytics-muted": palette.muted,
            "--flowlytics-node-bg": palette.nodeBg,
            "--flowlytics-active": palette.edgeActive,
          } as CSSProperties
        }
      >
        {fitted ? (
        <FlowCanvas>
        <ReactFlow
          defaultViewport={fitted}
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          colorMode={mode}
          minZoom={MIN_ZOOM}
          maxZoom={2.5}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={false}
          zoomOnDoubleClick={false}
          onlyRenderVisibleElements={false}
          onNodeClick={(_, node) => onSelect(node.id)}
          onNodeDoubleClick={(_, node) => actions.expandNeighbours(node.id)}
          proOptions={{ hideAttribution: false }}
        >
          <Background gap={24} size={1} />
          <Controls showInteractive={false} />
          <MiniMap
            pannable
            zoomable
            nodeStrokeWidth={3}
            nodeColor={(n) => stateAccent((n as LineageFlowNode).data?.node.latestRun?.state).accent}
          />
        </ReactFlow>
        </FlowCanvas>
        ) : null}
      </div>
    </GraphActionsContext.Provider>
  );
}
