/**
 * Pure formatting helpers shared by all Flowlytics views.
 * No React, no DOM: unit-tested with Vitest.
 */

/** Placeholder shown for missing values. */
export const EMPTY = "—";

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Formats a duration in seconds as `HH:MM:SS` (hours are not capped at 24,
 * e.g. `27:03:01`). Fractions are rounded to the nearest second.
 * Returns {@link EMPTY} for null/undefined/NaN/infinite/negative input.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return EMPTY;
  }
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${pad2(h)}:${pad2(m)}:${pad2(s)}`;
}

/** Parses an ISO timestamp; returns null when absent or unparseable. */
export function parseTimestamp(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * Formats an ISO timestamp as `YYYY-MM-DD HH:MM:SS` in the browser's local
 * time zone (or UTC with `{ utc: true }`). Missing -> {@link EMPTY};
 * unparseable -> the raw string (still rendered as plain text).
 */
export function formatTimestamp(iso: string | null | undefined, options: { utc?: boolean } = {}): string {
  if (!iso) return EMPTY;
  const d = parseTimestamp(iso);
  if (!d) return iso;
  const utc = options.utc === true;
  const year = utc ? d.getUTCFullYear() : d.getFullYear();
  const month = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
  const day = utc ? d.getUTCDate() : d.getDate();
  const hh = utc ? d.getUTCHours() : d.getHours();
  const mm = utc ? d.getUTCMinutes() : d.getMinutes();
  const ss = utc ? d.getUTCSeconds() : d.getSeconds();
  return `${year}-${pad2(month)}-${pad2(day)} ${pad2(hh)}:${pad2(mm)}:${pad2(ss)}`;
}

export interface DurationSource {
  durationSeconds: number | null;
  startedAt: string | null;
  endedAt: string | null;
}

/**
 * Best-known duration of a run in seconds: the server's `durationSeconds`,
 * else `endedAt - startedAt`, else null.
 */
export function runDurationSeconds(run: DurationSource): number | null {
  if (typeof run.durationSeconds === "number" && Number.isFinite(run.durationSeconds)) {
    return run.durationSeconds;
  }
  const start = parseTimestamp(run.startedAt);
  const end = parseTimestamp(run.endedAt);
  if (start && end && end.getTime() >= start.getTime()) {
    return (end.getTime() - start.getTime()) / 1000;
  }
  return null;
}

/** Seconds elapsed since `startedAt` (for runs still in progress), or null. */
export function elapsedSeconds(startedAt: string | null, now: number = Date.now()): number | null {
  const start = parseTimestamp(startedAt);
  if (!start) return null;
  const diff = (now - start.getTime()) / 1000;
  return diff >= 0 ? diff : null;
}

/**
 * Truncates text to at most `max` characters (code points, so emoji and
 * astral characters are never split), appending an ellipsis when cut.
 */
export function truncate(text: string | null | undefined, max = 80): string {
  if (!text) return "";
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

/** `"1–50 of 123"`; `"0 of 0"` when empty. Uses an en dash. */
export function formatRange(offset: number, shown: number, total: number): string {
  if (shown <= 0 || total <= 0) return `0 of ${Math.max(0, total)}`;
  return `${offset + 1}–${offset + shown} of ${total}`;
}
