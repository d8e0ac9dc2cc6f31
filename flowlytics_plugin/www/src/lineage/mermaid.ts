/**
 * Export of the visible graph as Mermaid flowchart text.
 *
 * Names are untrusted: Mermaid node ids are generated (`n0`, `n1`, …), and
 * every label is quoted with its special characters written as Mermaid
 * entity codes (`#quot;`, `#lt;`, …), which Mermaid renders as text. So a
 * dataset named `<img src=x onerror=alert(1)>` exports as
 * `#lt;img src=x onerror=alert(1)#gt;` and can neither break out of its
 * label nor inject markup into the rendered diagram.
 */
import { nodeColours, transformationLabel } from "./graph";
import type { GraphEdge, GraphNode, Level, LineageGraph } from "./types";

const ENTITY: Record<string, string> = {
  "#": "#35;",
  '"': "#quot;",
  "<": "#lt;",
  ">": "#gt;",
  "&": "#amp;",
  "`": "#96;",
  "|": "#124;",
  "\\": "#92;",
  "[": "#91;",
  "]": "#93;",
  "{": "#123;",
  "}": "#125;",
  "(": "#40;",
  ")": "#41;",
  ";": "#59;",
};

/**
 * Text safe inside a quoted Mermaid label: entity-coded specials, control
 * characters and line breaks turned into spaces, capped at `max` characters.
 */
export function escapeMermaidLabel(text: string, max = 200): string {
  let chars = Array.from(text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " "));
  if (chars.length > max) chars = [...chars.slice(0, max - 1), "…"];
  return chars.map((c) => ENTITY[c] ?? c).join("");
}

const STATE_CLASSES: Record<string, string> = {
  RUNNING: "running",
  COMPLETED: "completed",
  FAILED: "failed",
  ABORTED: "aborted",
};

function shape(node: GraphNode, label: string): string {
  if (node.isGroup) return `[["${label}"]]`;
  if (node.type === "DATASET") return `[("${label}")]`;
  return `["${label}"]`;
}

function nodeText(node: GraphNode, level: Level): string {
  let text = escapeMermaidLabel(node.name || node.id);
  if (node.isGroup && node.childCount > 0) text += ` (${node.childCount} tasks)`;
  if (level === "column" && node.type === "DATASET" && node.fields.length > 0) {
    const fields = node.fields.slice(0, 30).map((f) => escapeMermaidLabel(f.name, 60));
    if (node.fields.length > 30) fields.push(`… ${node.fields.length - 30} more`);
    text += `<br/>${fields.join("<br/>")}`;
  }
  return text;
}

/**
 * Mermaid `flowchart LR` of `graph`: one node per graph node (ids n0…, in the
 * graph's node order), one arrow per edge; at column level the arrows between
 * two datasets are merged and labelled `source → target (TYPE/SUBTYPE)`.
 * Nodes are classed by their last run state.
 */
export function toMermaid(graph: LineageGraph, level: Level = "job"): string {
  const lines = ["flowchart LR"];
  const ids = new Map<string, string>();
  graph.nodes.forEach((node, i) => ids.set(node.id, `n${i}`));
  for (const node of graph.nodes) {
    lines.push(`  ${ids.get(node.id)}${shape(node, nodeText(node, level))}`);
  }

  const grouped = new Map<string, { source: string; target: string; labels: string[] }>();
  for (const edge of graph.edges) {
    const s = ids.get(edge.source);
    const t = ids.get(edge.target);
    if (!s || !t) continue;
    const key = `${s}>${t}`;
    const entry = grouped.get(key) ?? { source: s, target: t, labels: [] };
    const label = edgeLabel(edge, level);
    if (label && !entry.labels.includes(label)) entry.labels.push(label);
    grouped.set(key, entry);
  }
  for (const { source, target, labels } of grouped.values()) {
    if (labels.length === 0) {
      lines.push(`  ${source} --> ${target}`);
    } else {
      const shown = labels.slice(0, 20);
      if (labels.length > 20) shown.push(`… ${labels.length - 20} more`);
      lines.push(`  ${source} -->|"${shown.join("<br/>")}"| ${target}`);
    }
  }

  lines.push(
    "  classDef running fill:#dbeafe,stroke:#1d4ed8,color:#111827",
    "  classDef completed fill:#dcfce7,stroke:#15803d,color:#111827",
    "  classDef failed fill:#fee2e2,stroke:#b91c1c,color:#111827",
    "  classDef aborted fill:#ffedd5,stroke:#c2410c,color:#111827",
    "  classDef norun fill:#f3f4f6,stroke:#4b5563,color:#111827",
  );
  const byClass = new Map<string, string[]>();
  for (const node of graph.nodes) {
    const cls = STATE_CLASSES[nodeColours(node).label] ?? "norun";
    byClass.set(cls, [...(byClass.get(cls) ?? []), ids.get(node.id) as string]);
  }
  for (const [cls, members] of byClass) lines.push(`  class ${members.join(",")} ${cls}`);
  return `${lines.join("\n")}\n`;
}

function edgeLabel(edge: GraphEdge, level: Level): string {
  if (level !== "column" || (!edge.sourceField && !edge.targetField)) return "";
  const fields = `${escapeMermaidLabel(edge.sourceField ?? "?", 60)} → ${escapeMermaidLabel(edge.targetField ?? "?", 60)}`;
  const kind = transformationLabel(edge);
  return kind ? `${fields} (${escapeMermaidLabel(kind, 60)})` : fields;
}
