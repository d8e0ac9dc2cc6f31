/**
 * Styles for the graph: @xyflow/react's stylesheet (the host only loads our
 * JS, so the CSS is inlined into the bundle and injected once) plus our own
 * few rules. The light/dark palette follows the host's colour mode (Airflow
 * puts the class `dark` on <html>).
 */
import { useEffect, useState } from "react";
import xyflowCss from "@xyflow/react/dist/style.css?inline";

const STYLE_ID = "flowlytics-lineage-styles";

const OWN_CSS = `
.flowlytics-flow .react-flow__node { cursor: pointer; }
.flowlytics-flow .react-flow__handle { width: 6px; height: 6px; min-width: 6px; min-height: 6px; opacity: 0.55; }
.flowlytics-node {
  box-sizing: border-box; position: relative; text-align: left; font-size: 12px; line-height: 16px;
  color: var(--flowlytics-fg); border: 2px solid var(--acc); border-left-width: 7px; border-radius: 4px;
  background: color-mix(in srgb, var(--acc) 9%, var(--flowlytics-node-bg)); outline-offset: 2px;
}
.flowlytics-node.is-dataset { border-radius: 10px; }
.flowlytics-node.is-group { border-style: dashed; border-left-style: solid; }
.flowlytics-node[data-selected] { background: color-mix(in srgb, var(--acc) 22%, var(--flowlytics-node-bg)); outline: 3px solid var(--flowlytics-active); }
.flowlytics-node[data-root]:not([data-selected]) { outline: 2px dotted var(--flowlytics-muted); }
.flowlytics-node:hover { box-shadow: 0 0 0 3px color-mix(in srgb, var(--flowlytics-fg) 18%, transparent); }
.flowlytics-node.is-compact { display: flex; align-items: flex-start; padding: 8px 10px 0 10px; border-width: 4px; border-left-width: 14px; }
.flowlytics-node.is-compact .fl-name { font-size: 22px; line-height: 28px; }
.flowlytics-node .fl-head { padding: 5px 7px 0 7px; display: flex; align-items: center; gap: 5px; }
.flowlytics-node .fl-kind { font-size: 9px; font-weight: 700; letter-spacing: 0.04em; padding: 0 4px; border-radius: 3px; background: var(--acc); color: #fff; flex: none; }
.flowlytics-node .fl-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-weight: 600; font-size: 13px; flex: 1 1 auto; }
.flowlytics-node .fl-btn { font: inherit; font-size: 12px; line-height: 16px; color: inherit; cursor: pointer; flex: none; padding: 0 5px; border-radius: 4px; background: transparent; border: 1px solid color-mix(in srgb, currentColor 35%, transparent); }
.flowlytics-node .fl-btn:disabled { opacity: 0.4; cursor: default; }
.flowlytics-node .fl-ns { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; padding: 0 7px; font-size: 10.5px; color: var(--flowlytics-muted); }
.flowlytics-node .fl-sum { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; padding: 1px 7px 0 7px; font-size: 10.5px; font-weight: 600; color: var(--acc); }
.flowlytics-node .fl-fields { position: absolute; left: 0; right: 0; padding-top: 2px; border-top: 1px solid color-mix(in srgb, var(--flowlytics-fg) 15%, transparent); }
.flowlytics-node .fl-field { display: flex; gap: 6px; padding: 0 8px; font-size: 11px; line-height: 20px; }
.flowlytics-node .fl-fname { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; flex: 1 1 auto; font-family: ui-monospace, Menlo, Consolas, monospace; }
.flowlytics-node .fl-ftype { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 40%; color: var(--flowlytics-muted); }
.flowlytics-flow[data-color-mode="dark"] .flowlytics-node .fl-sum { color: color-mix(in srgb, var(--acc) 55%, #ffffff); }
.flowlytics-flow .react-flow__edge-textbg { fill: var(--flowlytics-bg); }
.flowlytics-flow .react-flow__edge-text { fill: var(--flowlytics-fg); font-size: 10px; }
.flowlytics-search-item[aria-selected="true"] { background: color-mix(in srgb, currentColor 12%, transparent); }
`;

/** Adds the graph's CSS to the page once (idempotent; every bundle evaluation shares it). */
export function ensureGraphStyles(): void {
  if (typeof document === "undefined" || document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = `${xyflowCss}\n${OWN_CSS}`;
  document.head.appendChild(style);
}

export type ColorMode = "light" | "dark";

export interface Palette {
  bg: string;
  fg: string;
  muted: string;
  edge: string;
  edgeActive: string;
  nodeBg: string;
}

export const PALETTES: Readonly<Record<ColorMode, Palette>> = {
  light: { bg: "#ffffff", fg: "#111827", muted: "#4b5563", edge: "#9ca3af", edgeActive: "#1d4ed8", nodeBg: "#ffffff" },
  dark: { bg: "#111827", fg: "#f3f4f6", muted: "#9ca3af", edge: "#6b7280", edgeActive: "#60a5fa", nodeBg: "#1f2937" },
};

function currentMode(): ColorMode {
  if (typeof document === "undefined") return "light";
  const root = document.documentElement;
  if (root.classList.contains("dark") || root.dataset.theme === "dark" || root.style.colorScheme === "dark") return "dark";
  return "light";
}

/** The host's colour mode, following changes. */
export function useColorMode(): ColorMode {
  const [mode, setMode] = useState<ColorMode>(currentMode);
  useEffect(() => {
    if (typeof MutationObserver === "undefined") return undefined;
    const observer = new MutationObserver(() => setMode(currentMode()));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["class", "data-theme", "style"] });
    return () => observer.disconnect();
  }, []);
  return mode;
}
