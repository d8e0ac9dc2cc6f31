/**
 * Deep links: the Lineage page keeps what it shows in its URL query, so that
 * a copied link opens the same view.
 *   node=<selected node id>  root=<root id, when not the selected node>
 *   direction=…  depth=…  level=column  collapse=false  expand=<group>…  asOf=<ISO time>
 * Defaults are left out. Other query parameters (the host's) are kept.
 */
import { DIRECTIONS, MAX_DEPTH, MIN_DEPTH, type Direction, type Level } from "./types";

export interface LineageUrlState {
  node: string | null;
  root: string | null;
  direction: Direction;
  depth: number;
  level: Level;
  collapse: boolean;
  expand: string[];
  /** Lineage as it was at this ISO time (null: now). */
  asOf: string | null;
}

export const DEFAULT_DIRECTION: Direction = "both";
/** Hops from the root (dataset → job → dataset is 2), as the server's default. */
export const DEFAULT_DEPTH = 4;

export function clampDepth(value: number): number {
  if (!Number.isFinite(value)) return DEFAULT_DEPTH;
  return Math.min(MAX_DEPTH, Math.max(MIN_DEPTH, Math.round(value)));
}

/** `value` when it is a parseable time, else null. */
export function validIso(value: string | null | undefined): string | null {
  if (!value) return null;
  return Number.isNaN(new Date(value).getTime()) ? null : value;
}

/** `<input type="datetime-local">` value (local time) → ISO UTC; "" → null. */
export function localInputToIso(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** ISO time → `<input type="datetime-local">` value in local time ("" for null). */
export function isoToLocalInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function readLineageUrl(search: string): LineageUrlState {
  const params = new URLSearchParams(search);
  const direction = params.get("direction");
  const depth = params.get("depth");
  const node = params.get("node") || null;
  return {
    node,
    root: params.get("root") || node,
    direction: (DIRECTIONS as readonly string[]).includes(direction ?? "") ? (direction as Direction) : DEFAULT_DIRECTION,
    depth: depth === null || depth === "" ? DEFAULT_DEPTH : clampDepth(Number(depth)),
    level: params.get("level") === "column" ? "column" : "job",
    collapse: params.get("collapse") !== "false",
    expand: params.getAll("expand").filter((x) => x !== ""),
    asOf: validIso(params.get("asOf")),
  };
}

/** `search` with the lineage keys replaced by `state` (defaults omitted); returns "?…" or "". */
export function writeLineageUrl(search: string, state: LineageUrlState): string {
  const params = new URLSearchParams(search);
  for (const key of ["node", "root", "direction", "depth", "level", "collapse", "expand", "asOf"]) params.delete(key);
  if (state.node) params.set("node", state.node);
  if (state.root && state.root !== state.node) params.set("root", state.root);
  if (state.direction !== DEFAULT_DIRECTION) params.set("direction", state.direction);
  if (state.depth !== DEFAULT_DEPTH) params.set("depth", String(state.depth));
  if (state.level !== "job") params.set("level", state.level);
  if (!state.collapse) params.set("collapse", "false");
  for (const group of state.expand) params.append("expand", group);
  if (state.asOf) params.set("asOf", state.asOf);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Relative link (against document.baseURI) to the Lineage page showing `nodeId`. */
export function lineagePageHref(nodeId: string, base?: string): string {
  const baseUri = base ?? (typeof document !== "undefined" ? document.baseURI : "http://localhost/");
  const url = new URL("plugin/flowlytics_lineage", baseUri);
  url.searchParams.set("node", nodeId);
  return url.href;
}
