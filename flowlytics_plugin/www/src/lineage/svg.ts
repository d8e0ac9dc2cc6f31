/**
 * Export of the visible graph as a standalone SVG document (and, through a
 * canvas, as PNG: see exportImage.ts). Built from the same layout as the
 * screen, as plain SVG shapes and text (no foreignObject, no external fonts
 * or images), so it works offline and a canvas can rasterise it.
 *
 * Names are untrusted: every text and attribute value goes through
 * {@link escapeXml}, so `<img src=x onerror=alert(1)>` is text in the file.
 */
import { formatCount, nodeColours, shortLabel, transformationLabel } from "./graph";
import { FIELD_ROW_HEIGHT, FIELDS_TOP, fieldRowCenter, showsFields, type LayoutResult } from "./layout";
import type { Level, LineageGraph } from "./types";

/** Characters not allowed in XML 1.0 (controls, lone surrogates, U+FFFE/U+FFFF). */
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Escapes text for XML content and (double- or single-quoted) attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** At most `max` characters (code points), with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

const FONT = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const MONO = "ui-monospace, Menlo, Consolas, monospace";
const r1 = (n: number) => Math.round(n * 10) / 10;

export interface SvgOptions {
  /** Text shown at the top left (e.g. the root node's name); escaped. */
  title?: string;
}

/** A standalone SVG document of `graph` drawn at the positions of `layout`. */
export function toSvg(graph: LineageGraph, layout: LayoutResult, level: Level, options: SvgOptions = {}): string {
  const pad = 20;
  const titleHeight = options.title ? 28 : 0;
  const width = Math.ceil(layout.width + 2 * pad);
  const height = Math.ceil(layout.height + 2 * pad + titleHeight);
  const ox = pad;
  const oy = pad + titleHeight;
  const nodesById = new Map(graph.nodes.map((n) => [n.id, n]));
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(FONT)}">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#6b7280"/></marker></defs>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  );
  if (options.title) {
    parts.push(
      `<text x="${pad}" y="${pad + 12}" font-size="15" font-weight="600" fill="#111827">${escapeXml(clip(options.title, 160))}</text>`,
    );
  }

  // Edges first, under the nodes.
  const labels: string[] = [];
  for (const edge of graph.edges) {
    const s = nodesById.get(edge.source);
    const t = nodesById.get(edge.target);
    const sp = layout.positions.get(edge.source);
    const tp = layout.positions.get(edge.target);
    const ss = layout.sizes.get(edge.source);
    const ts = layout.sizes.get(edge.target);
    if (!s || !t || !sp || !tp || !ss || !ts) continue;
    const sIndex = showsFields(s, level) && edge.sourceField ? s.fields.findIndex((f) => f.name === edge.sourceField) : -1;
    const tIndex = showsFields(t, level) && edge.targetField ? t.fields.findIndex((f) => f.name === edge.targetField) : -1;
    const x1 = ox + sp.x + ss.width;
    const y1 = oy + sp.y + (sIndex >= 0 ? fieldRowCenter(sIndex) : ss.height / 2);
    const x2 = ox + tp.x;
    const y2 = oy + tp.y + (tIndex >= 0 ? fieldRowCenter(tIndex) : ts.height / 2);
    const dx = Math.max(40, Math.abs(x2 - x1) / 2);
    parts.push(
      `<path d="M${r1(x1)},${r1(y1)} C${r1(x1 + dx)},${r1(y1)} ${r1(x2 - dx)},${r1(y2)} ${r1(x2)},${r1(y2)}" fill="none" stroke="#9ca3af" stroke-width="1.5" marker-end="url(#arrow)"/>`,
    );
    const kind = level === "column" ? transformationLabel(edge) : "";
    if (kind) {
      labels.push(
        `<text x="${r1((x1 + x2) / 2)}" y="${r1((y1 + y2) / 2 - 3)}" font-size="10" text-anchor="middle" fill="#374151" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escapeXml(clip(kind, 40))}</text>`,
      );
    }
  }

  for (const node of graph.nodes) {
    const p = layout.positions.get(node.id);
    const size = layout.sizes.get(node.id);
    if (!p || !size) continue;
    const x = ox + p.x;
    const y = oy + p.y;
    const { accent, label } = nodeColours(node);
    const kind = node.isGroup ? `DAG · ${node.childCount} tasks` : node.type === "DATASET" ? "DATASET" : "JOB";
    const rows = node.type === "DATASET" && node.rowsWritten !== null ? ` · ${formatCount(node.rowsWritten)} rows` : "";
    const title = shortLabel(node, node.parentId ? nodesById.get(node.parentId)?.name : null);
    const subtitle = title !== (node.name || node.id) ? node.name : node.namespace;
    parts.push(
      `<g>`,
      `<title>${escapeXml(`${node.name}\n${node.namespace}`)}</title>`,
      `<rect x="${r1(x)}" y="${r1(y)}" width="${size.width}" height="${size.height}" rx="${node.type === "DATASET" ? 10 : 4}" fill="#ffffff" stroke="${accent}" stroke-width="2"${node.isGroup ? ' stroke-dasharray="6 3"' : ""}/>`,
      `<rect x="${r1(x)}" y="${r1(y)}" width="6" height="${size.height}" fill="${accent}"/>`,
      `<text x="${r1(x + 14)}" y="${r1(y + 18)}" font-size="13" font-weight="600" fill="#111827">${escapeXml(clip(title, 32))}</text>`,
      `<text x="${r1(x + 14)}" y="${r1(y + 35)}" font-size="10.5" fill="#4b5563">${escapeXml(clip(subtitle, 42))}</text>`,
      `<text x="${r1(x + 14)}" y="${r1(y + 54)}" font-size="10.5" fill="${accent}" font-weight="600">${escapeXml(`${kind} · ${label}${rows}`)}</text>`,
    );
    if (showsFields(node, level)) {
      parts.push(
        `<line x1="${r1(x + 6)}" y1="${r1(y + FIELDS_TOP - 2)}" x2="${r1(x + size.width)}" y2="${r1(y + FIELDS_TOP - 2)}" stroke="#e5e7eb"/>`,
      );
      node.fields.forEach((field, i) => {
        const fy = y + FIELDS_TOP + i * FIELD_ROW_HEIGHT + 14;
        parts.push(
          `<text x="${r1(x + 14)}" y="${r1(fy)}" font-size="11" font-family="${escapeXml(MONO)}" fill="#111827">${escapeXml(clip(field.name, 26))}</text>`,
        );
        if (field.type) {
          parts.push(
            `<text x="${r1(x + size.width - 8)}" y="${r1(fy)}" font-size="10" text-anchor="end" fill="#6b7280">${escapeXml(clip(field.type, 12))}</text>`,
          );
        }
      });
    }
    parts.push(`</g>`);
  }
  parts.push(...labels, `</svg>`);
  return parts.join("\n");
}
