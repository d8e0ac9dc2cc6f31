/**
 * Geometry of the small trend charts (plain SVG, no chart library: the bundle
 * stays lean and nothing but React renders). Pure: unit-tested.
 */

/** The smallest of 1, 2, 2.5, 5 × 10^n at or above `value` (0 and below -> 1). */
export function niceMax(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    const candidate = step * power;
    if (candidate >= value * (1 - 1e-9)) return candidate;
  }
  return 10 * power;
}

export interface Plot {
  width: number;
  height: number;
  /** Highest value on the y axis (0 at the bottom). */
  max: number;
}

/** x of the i-th of n points: centred in n equal slots. */
export function slotX(i: number, n: number, width: number): number {
  return n <= 0 ? 0 : ((i + 0.5) * width) / n;
}

export function valueY(value: number, plot: Plot): number {
  const clamped = Math.min(Math.max(value, 0), plot.max);
  return plot.height - (clamped / plot.max) * plot.height;
}

/**
 * An SVG path through the known values; a missing value (null) breaks the
 * line, and a lone known value becomes a dot-like zero-length segment that
 * the caller draws as a circle.
 */
export function linePath(values: ReadonlyArray<number | null>, plot: Plot): string {
  const parts: string[] = [];
  let drawing = false;
  values.forEach((value, i) => {
    if (value === null || !Number.isFinite(value)) {
      drawing = false;
      return;
    }
    const x = slotX(i, values.length, plot.width).toFixed(1);
    const y = valueY(value, plot).toFixed(1);
    parts.push(`${drawing ? "L" : "M"}${x} ${y}`);
    drawing = true;
  });
  return parts.join(" ");
}

export interface Bar {
  index: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One bar per known value, in n equal slots with a gap. */
export function bars(values: ReadonlyArray<number | null>, plot: Plot, gap = 0.25): Bar[] {
  const n = values.length;
  if (n === 0) return [];
  const slot = plot.width / n;
  const width = Math.max(1, slot * (1 - gap));
  const out: Bar[] = [];
  values.forEach((value, index) => {
    if (value === null || !Number.isFinite(value)) return;
    const y = valueY(value, plot);
    out.push({ index, x: index * slot + (slot - width) / 2, y, width, height: plot.height - y });
  });
  return out;
}

/** Indices of the x-axis labels: first, last and up to `count - 2` evenly between. */
export function labelIndices(n: number, count = 4): number[] {
  if (n <= 0) return [];
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let k = 0; k < count; k++) out.add(Math.round((k * (n - 1)) / (count - 1)));
  return [...out].sort((a, b) => a - b);
}

/** `2026-11-22` -> `11-22` (axis labels). */
export function shortDate(date: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? date.slice(5) : date;
}
