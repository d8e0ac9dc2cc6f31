import { createContext, memo, useContext, type CSSProperties, type MouseEvent } from "react";
import type { Node, NodeProps } from "@xyflow/react";
import { formatCount, nodeColours, shortLabel } from "./graph";
import { FIELD_ROW_HEIGHT, FIELDS_TOP, fieldRowCenter, showsFields } from "./layout";
import type { GraphNode, Level } from "./types";

export interface GraphActions {
  expandNeighbours: (nodeId: string) => void;
  /** Expand (show its tasks) or collapse a DAG group. */
  toggleGroup: (groupId: string, expand: boolean) => void;
}

export const GraphActionsContext = createContext<GraphActions>({
  expandNeighbours: () => undefined,
  toggleGroup: () => undefined,
});

/**
 * Level of detail: below {@link COMPACT_ZOOM} the text of a node is too
 * small to read, so nodes are drawn as a coloured box with the name only
 * (2 elements instead of ~12), which is what keeps a 500-node overview fast.
 */
export const COMPACT_ZOOM = 0.45;
export const CompactContext = createContext(false);

export interface LineageNodeData extends Record<string, unknown> {
  node: GraphNode;
  level: Level;
  width: number;
  height: number;
  selected: boolean;
  root: boolean;
  expanded: boolean;
  expanding: boolean;
  /** Name of the (expanded) group this node belongs to, for its "collapse" chip. */
  groupName: string | null;
}

export type LineageFlowNode = Node<LineageNodeData, "lineage">;

/** Handle ids of field rows (indices, never names: names are untrusted and may repeat). */
export const fieldTargetHandle = (index: number) => `t${index}`;
export const fieldSourceHandle = (index: number) => `s${index}`;

/**
 * A handle as plain DOM. Edge end points are first taken from the handle
 * positions given to React Flow up front (LineageGraph.tsx `nodeHandles`);
 * React Flow then re-measures every node from the DOM (its ResizeObserver
 * forces it), so each handle must exist here, with React Flow's classes and
 * data attributes, at the same place, in every level of detail. Cheaper than
 * <Handle>, which subscribes to the flow's store: 1,000 of those cost ~100 ms
 * on a 500-node graph.
 */
function StaticHandle({ type, id, top }: { type: "source" | "target"; id?: string; top?: number }) {
  const side = type === "source" ? "right" : "left";
  return (
    <div
      className={`react-flow__handle react-flow__handle-${side} nodrag nopan ${type}`}
      data-handleid={id ?? null}
      data-handlepos={side}
      style={top === undefined ? undefined : { top }}
    />
  );
}

function stop(event: MouseEvent) {
  event.stopPropagation();
}

/**
 * One job / dataset / DAG-group node. Everything shown is untrusted text from
 * OpenLineage events, rendered as React text only. Its size is fixed by the
 * layout (layout.ts) so that what was laid out is what is drawn.
 */
function LineageNodeView({ data }: NodeProps<LineageFlowNode>) {
  const { node, level, width, height, selected, root, expanded, expanding, groupName } = data;
  const actions = useContext(GraphActionsContext);
  const compact = useContext(CompactContext);
  const { accent, label: stateLabel } = nodeColours(node);
  const kind = node.isGroup ? "DAG" : node.type === "DATASET" ? "DATASET" : "JOB";
  const fields = showsFields(node, level) ? node.fields : [];
  const label = shortLabel(node, groupName);
  const shortened = label !== (node.name || node.id);
  const summary = [
    stateLabel,
    node.type === "DATASET" && node.rowsWritten !== null ? `${formatCount(node.rowsWritten)} rows` : null,
    node.isGroup ? `${node.childCount} tasks${node.expanded ? ", shown" : ""}` : null,
    node.owners.length > 0 ? node.owners.join(", ") : null,
  ]
    .filter(Boolean)
    .join(" · ");

  const className = `flowlytics-node${node.type === "DATASET" ? " is-dataset" : ""}${node.isGroup ? " is-group" : ""}`;
  if (compact) {
    return (
      <div
        className={`${className} is-compact`}
        data-testid="flowlytics-graph-node"
        data-node-id={node.id}
        data-type={node.type}
        data-state={stateLabel}
        data-group={node.isGroup ? "true" : undefined}
        data-selected={selected ? "true" : undefined}
        data-root={root ? "true" : undefined}
        title={`${node.name}\n${node.namespace}\n${summary}`}
        style={{ width, height, "--acc": accent } as CSSProperties}
      >
        <StaticHandle type="target" />
        <StaticHandle type="source" />
        <span className="fl-name" data-testid="flowlytics-node-name">
          {label}
        </span>
        {fields.map((_, i) => (
          <StaticHandle key={`t${i}`} id={fieldTargetHandle(i)} type="target" top={fieldRowCenter(i)} />
        ))}
        {fields.map((_, i) => (
          <StaticHandle key={`s${i}`} id={fieldSourceHandle(i)} type="source" top={fieldRowCenter(i)} />
        ))}
      </div>
    );
  }
  // Static styling lives in CSS classes (theme.ts): inline styles on 500
  // nodes cost measurably more. Only the run-state colour is per node.
  return (
    <div
      className={className}
      data-testid="flowlytics-graph-node"
      data-node-id={node.id}
      data-type={node.type}
      data-state={stateLabel}
      data-group={node.isGroup ? "true" : undefined}
      data-selected={selected ? "true" : undefined}
      data-root={root ? "true" : undefined}
      title={`${node.name}\n${node.namespace}`}
      style={{ width, height, "--acc": accent } as CSSProperties}
    >
      <StaticHandle type="target" />
      <StaticHandle type="source" />
      <div className="fl-head">
        <span className="fl-kind">{kind}</span>
        <span className="fl-name" data-testid="flowlytics-node-name">
          {label}
        </span>
        {node.isGroup ? (
          <button
            type="button"
            className="nodrag nopan fl-btn"
            data-testid={node.expanded ? "flowlytics-group-collapse" : "flowlytics-group-expand"}
            title={node.expanded ? "Collapse the tasks of this DAG into one node" : `Show the ${node.childCount} tasks of this DAG`}
            onClick={(e) => {
              stop(e);
              actions.toggleGroup(node.id, !node.expanded);
            }}
            onDoubleClick={stop}
          >
            {node.expanded ? "⊟" : "⊞"}
          </button>
        ) : null}
        {node.parentId ? (
          <button
            type="button"
            className="nodrag nopan fl-btn"
            data-testid="flowlytics-group-collapse"
            title={`Collapse the tasks of ${groupName ?? node.parentId} into one node`}
            onClick={(e) => {
              stop(e);
              actions.toggleGroup(node.parentId as string, false);
            }}
            onDoubleClick={stop}
          >
            ⊟
          </button>
        ) : null}
        <button
          type="button"
          className="nodrag nopan fl-btn"
          data-testid="flowlytics-node-expand"
          title={expanded ? "Neighbours shown" : "Show this node's neighbours"}
          disabled={expanded || expanding}
          onClick={(e) => {
            stop(e);
            actions.expandNeighbours(node.id);
          }}
          onDoubleClick={stop}
        >
          {expanding ? "…" : "+"}
        </button>
      </div>
      <div className="fl-ns">{shortened ? node.name : node.namespace}</div>
      <div className="fl-sum">{summary}</div>
      {fields.length > 0 ? (
        <div className="fl-fields" style={{ top: FIELDS_TOP - 2 }}>
          {fields.map((field, i) => (
            <div key={i} className="fl-field" data-testid="flowlytics-node-field" style={{ height: FIELD_ROW_HEIGHT }}>
              <span className="fl-fname">{field.name}</span>
              {field.type ? <span className="fl-ftype">{field.type}</span> : null}
            </div>
          ))}
          {fields.map((_, i) => (
            <StaticHandle key={`t${i}`} id={fieldTargetHandle(i)} type="target" top={fieldRowCenter(i) - FIELDS_TOP + 2} />
          ))}
          {fields.map((_, i) => (
            <StaticHandle key={`s${i}`} id={fieldSourceHandle(i)} type="source" top={fieldRowCenter(i) - FIELDS_TOP + 2} />
          ))}
        </div>
      ) : null}
    </div>
  );
}

export const LineageNode = memo(LineageNodeView);
