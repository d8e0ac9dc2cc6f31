/**
 * Pure helpers of the batch-health views: formatting, colours, sorting, URLs.
 * No React, no DOM: unit-tested with Vitest.
 */
import { isObj } from "../api/coerce";
import { EMPTY, formatTimestamp } from "../lib/format";
import { formatCount } from "../lineage/graph";
import {
  HEALTHS,
  PAGE_SIZES,
  SORT_KEYS,
  type ColumnLineageRow,
  type Health,
  type PageSize,
  type SlaStatus,
  type SortKey,
  type SortOrder,
} from "./types";

/** A rate (0..1) as a percentage: `95.2%`, `100%`, `0.05%`; {@link EMPTY} when unknown. */
export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return EMPTY;
  const pct = rate * 100;
  if (pct === 0 || pct === 100) return `${pct}%`;
  const abs = Math.abs(pct);
  const digits = abs >= 1 ? 1 : abs >= 0.01 ? 2 : 3;
  // Never round a non-perfect rate up to 100% (or a non-zero one down to 0%).
  let text = pct.toFixed(digits);
  if (Number(text) === 100) text = (Math.floor(pct * 10 ** digits) / 10 ** digits).toFixed(digits);
  if (Number(text) === 0) return `<${(10 ** -digits).toFixed(digits)}%`;
  return `${text.replace(/\.0+$/, "")}%`;
}

/**
 * Rows per second for the throughput columns: grouped integers from 100 up
 * (`12,346`), one decimal from 10 (`12.3`), two below (`0.25`).
 */
export function formatThroughput(rowsPerSecond: number | null | undefined): string {
  if (rowsPerSecond === null || rowsPerSecond === undefined || !Number.isFinite(rowsPerSecond) || rowsPerSecond < 0) {
    return EMPTY;
  }
  if (rowsPerSecond === 0) return "0";
  if (rowsPerSecond >= 100) return formatCount(rowsPerSecond);
  if (rowsPerSecond >= 10) return rowsPerSecond.toFixed(1);
  return rowsPerSecond.toFixed(2);
}

/**
 * A process time in the table: only `HH:MM:SS` when it falls on the same
 * (local) day as `day` (the batch's start), else the full timestamp.
 */
export function formatTimeOnDay(iso: string | null | undefined, day: string | null | undefined): string {
  const full = formatTimestamp(iso);
  if (!iso || !day || full === EMPTY) return full;
  const dayText = formatTimestamp(day);
  return /^\d{4}-\d{2}-\d{2} /.test(full) && full.slice(0, 10) === dayText.slice(0, 10) ? full.slice(11) : full;
}

/** Row counts (`1,234`), {@link EMPTY} when unknown. */
export const formatRows = formatCount;

export interface HealthStyle {
  background: string;
  color: string;
  label: string;
  /** What the colour means, for the title attribute. */
  meaning: string;
}

/** Health colours: solid, readable on both Airflow themes (white text, contrast >= 4.5). */
export const HEALTH_STYLES: Readonly<Record<Health, HealthStyle>> = {
  GREEN: { background: "#15803d", color: "#ffffff", label: "Healthy", meaning: "every finished process succeeded" },
  YELLOW: {
    background: "#a16207",
    color: "#ffffff",
    label: "Degraded",
    meaning: "success rate from 90 % to below 100 %",
  },
  RED: {
    background: "#b91c1c",
    color: "#ffffff",
    label: "Unhealthy",
    meaning: "success rate below 90 %, or a critical process failed",
  },
};
export const UNKNOWN_HEALTH_STYLE: HealthStyle = {
  background: "#4b5563",
  color: "#ffffff",
  label: "Unknown",
  meaning: "health not known",
};

export function healthStyle(health: string | null | undefined): HealthStyle {
  const upper = typeof health === "string" ? health.toUpperCase() : "";
  return (HEALTHS as readonly string[]).includes(upper) ? HEALTH_STYLES[upper as Health] : UNKNOWN_HEALTH_STYLE;
}

/** The thresholds, client-side (for previews; the server's `health` is authoritative). */
export function healthFor(successRate: number | null, criticalFailed = false): Health {
  if (criticalFailed || (successRate !== null && successRate < 0.9)) return "RED";
  if (successRate !== null && successRate < 1) return "YELLOW";
  return "GREEN";
}

export const SLA_STYLES: Readonly<Record<SlaStatus, { background: string; color: string }>> = {
  MET: { background: "#15803d", color: "#ffffff" },
  MISSED: { background: "#b91c1c", color: "#ffffff" },
  PENDING: { background: "#1d4ed8", color: "#ffffff" },
};

// ------------------------------------------------------------------------------------------- sorting

/** Sort keys whose natural first click is "largest first". */
const DESC_FIRST: ReadonlySet<SortKey> = new Set([
  "durationSeconds",
  "rowsRead",
  "rowsWritten",
  "rowsUpdated",
  "rowsInserted",
  "dqErrors",
  "dqErrorRate",
  "readThroughput",
  "writeThroughput",
  "tries",
]);

export const DEFAULT_SORT: SortKey = "startedAt";
export const DEFAULT_ORDER: SortOrder = "asc";

/** Clicking a column header: the same column flips the order; another one starts at its natural order. */
export function nextSort(current: { sort: SortKey; order: SortOrder }, clicked: SortKey): { sort: SortKey; order: SortOrder } {
  if (current.sort === clicked) return { sort: clicked, order: current.order === "asc" ? "desc" : "asc" };
  return { sort: clicked, order: DESC_FIRST.has(clicked) ? "desc" : "asc" };
}

export function isSortKey(value: string | null | undefined): value is SortKey {
  return (SORT_KEYS as readonly string[]).includes(value ?? "");
}

export function isPageSize(value: number): value is PageSize {
  return (PAGE_SIZES as readonly number[]).includes(value);
}

/** `aria-sort` of a header. */
export function ariaSort(column: SortKey, sort: SortKey, order: SortOrder): "ascending" | "descending" | "none" {
  if (column !== sort) return "none";
  return order === "asc" ? "ascending" : "descending";
}

// ------------------------------------------------------------------------------------------- links

function baseUri(base?: string): string {
  if (base) return base;
  return typeof document !== "undefined" && document.baseURI ? document.baseURI : "http://localhost/";
}

/**
 * The task log link from the OpenLineage provider is absolute, built from
 * Airflow's configured base URL, which may name another host than the one the
 * user is on (a proxy, `localhost` in containers). Keep its path, query and
 * fragment on the current page's origin. Relative links resolve against the
 * page. Anything that is not http(s) (e.g. `javascript:`) gives null: the URL
 * comes from an event and is untrusted.
 */
export function rewriteLogUrl(logUrl: string | null | undefined, pageUrl?: string): string | null {
  if (!logUrl || !logUrl.trim()) return null;
  const page = pageUrl ?? (typeof window !== "undefined" ? window.location.href : baseUri());
  let target: URL;
  let current: URL;
  try {
    current = new URL(page);
    target = new URL(logUrl.trim(), current);
  } catch {
    return null;
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") return null;
  if (current.protocol !== "http:" && current.protocol !== "https:") return target.href;
  return `${current.origin}${target.pathname}${target.search}${target.hash}`;
}

/** The Batch Health page, optionally on one batch (`?batch=`), relative to Airflow's base URL. */
export function batchHealthHref(batchId?: string | null, base?: string): string {
  const url = new URL("plugin/flowlytics_batch_health", baseUri(base));
  if (batchId) url.searchParams.set("batch", batchId);
  return url.href;
}

/**
 * A job id (`job:<namespace>:<name>`) shown within its batch: the task part
 * when the job belongs to the batch's job (`<dag>.<task>` -> `<task>`), else
 * the job's name, else the id.
 */
export function jobLabel(jobId: string, batchJob: { namespace: string; name: string }): string {
  const prefix = `job:${batchJob.namespace}:`;
  if (!jobId.startsWith(prefix)) return jobId;
  const name = jobId.slice(prefix.length);
  return name.startsWith(`${batchJob.name}.`) ? name.slice(batchJob.name.length + 1) : name;
}

/**
 * A run id for compact display (the full id goes in a title): `01a201c2…6011`.
 * Both ends: UUIDv7 ids of batches started in the same minute share their
 * first characters (a timestamp).
 */
export function shortId(id: string): string {
  return id.length > 14 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

// ------------------------------------------------------------------------------------------- URL state

export type TimeRange = "24h" | "7d" | "30d" | "custom";
export const TIME_RANGES: ReadonlyArray<{ value: TimeRange; label: string }> = [
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "custom", label: "Custom" },
];
const RANGE_MS: Readonly<Record<Exclude<TimeRange, "custom">, number>> = {
  "24h": 24 * 3600 * 1000,
  "7d": 7 * 24 * 3600 * 1000,
  "30d": 30 * 24 * 3600 * 1000,
};

export interface BatchUrlState {
  batch: string | null;
  range: TimeRange;
  /** Custom range bounds, ISO (only with range=custom). */
  since: string | null;
  until: string | null;
  env: string | null;
  dag: string | null;
}

export const DEFAULT_RANGE: TimeRange = "7d";

function validIso(value: string | null): string | null {
  if (!value) return null;
  return Number.isNaN(new Date(value).getTime()) ? null : value;
}

export function readBatchUrl(search: string): BatchUrlState {
  const p = new URLSearchParams(search);
  const range = p.get("range");
  return {
    batch: p.get("batch") || null,
    range: TIME_RANGES.some((r) => r.value === range) ? (range as TimeRange) : DEFAULT_RANGE,
    since: validIso(p.get("since")),
    until: validIso(p.get("until")),
    env: p.get("env") || null,
    dag: p.get("dag") || null,
  };
}

/** `search` with the page's keys replaced by `state` (defaults omitted; the host's keys kept). */
export function writeBatchUrl(search: string, state: BatchUrlState): string {
  const p = new URLSearchParams(search);
  for (const key of ["batch", "range", "since", "until", "env", "dag"]) p.delete(key);
  if (state.batch) p.set("batch", state.batch);
  if (state.range !== DEFAULT_RANGE) p.set("range", state.range);
  if (state.range === "custom") {
    if (state.since) p.set("since", state.since);
    if (state.until) p.set("until", state.until);
  }
  if (state.env) p.set("env", state.env);
  if (state.dag) p.set("dag", state.dag);
  const text = p.toString();
  return text ? `?${text}` : "";
}

/**
 * The `since`/`until` of the batch list for a time range. Relative ranges are
 * rounded down to the minute so that a refresh a few seconds later asks the
 * same (cacheable) question.
 */
export function rangeBounds(
  state: Pick<BatchUrlState, "range" | "since" | "until">,
  now: number = Date.now(),
): { since: string | null; until: string | null } {
  if (state.range === "custom") return { since: state.since, until: state.until };
  const minute = Math.floor(now / 60_000) * 60_000;
  return { since: new Date(minute - RANGE_MS[state.range]).toISOString(), until: null };
}

// ------------------------------------------------------------------------------------------- column lineage


/**
 * Rows of the OpenLineage `columnLineage` dataset facet:
 * `{fields: {<column>: {inputFields: [{namespace, name, field, transformations: [{type, subtype}]}]}}}`
 * (older producers put `transformationType` on the field). At most `max` rows.
 */
export function columnLineageRows(dataset: string, facets: Record<string, unknown>, max = 500): ColumnLineageRow[] {
  const facet = facets.columnLineage;
  if (!isObj(facet) || !isObj(facet.fields)) return [];
  const rows: ColumnLineageRow[] = [];
  for (const [column, spec] of Object.entries(facet.fields)) {
    if (!isObj(spec) || !Array.isArray(spec.inputFields)) continue;
    for (const input of spec.inputFields) {
      if (rows.length >= max) return rows;
      if (!isObj(input)) continue;
      const transformations = Array.isArray(input.transformations) ? input.transformations.filter(isObj) : [];
      const kinds = transformations
        .map((t) => [t.type, t.subtype].filter((x) => x !== undefined && x !== null && x !== "").map(String).join("/"))
        .filter((x) => x !== "");
      const legacy = typeof spec.transformationType === "string" ? spec.transformationType : "";
      rows.push({
        dataset,
        column,
        inputDataset: String(input.name ?? ""),
        inputField: String(input.field ?? ""),
        transformation: kinds.length > 0 ? kinds.join(", ") : legacy,
      });
    }
  }
  return rows;
}

/** Sum of known values; null when none is known. */
export function sumKnown(values: ReadonlyArray<number | null | undefined>): number | null {
  let total: number | null = null;
  for (const v of values) if (typeof v === "number" && Number.isFinite(v)) total = (total ?? 0) + v;
  return total;
}
