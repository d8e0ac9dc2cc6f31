/**
 * Coercions the response normalisers share: they turn whatever a field holds into the type the UI
 * renders, so a missing or mistyped field never crashes a page.
 */
export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
export const obj = (v: unknown): Obj => (isObj(v) ? v : {});
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown, fallback = ""): string => (v === null || v === undefined ? fallback : String(v));
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined || v === "" ? null : String(v));
export const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
export const int = (v: unknown): number => num(v) ?? 0;
export const strings = (v: unknown): string[] =>
  arr(v)
    .filter((x) => x !== null && x !== undefined)
    .map((x) => String(x));
