/**
 * Pure logic of the Workflow drafts page: issue locations, text selection of a
 * line, download file names and contents. No DOM, no network.
 */
import type { DraftIssue, TestEvent } from "../api/workflows";

/** "3:1", "3" or "" for an issue without a line. */
export function issueLocation(issue: Pick<DraftIssue, "line" | "column">): string {
  if (issue.line == null) return "";
  return issue.column == null ? String(issue.line) : `${issue.line}:${issue.column}`;
}

/**
 * [start, end) offsets of 1-based `line` in `text` (without its line break), for
 * textarea.setSelectionRange; null when the text has no such line. Lines end at
 * LF or CR LF, as the backend counts them.
 */
export function lineRange(text: string, line: number): [number, number] | null {
  if (!Number.isInteger(line) || line < 1) return null;
  let start = 0;
  for (let current = 1; current < line; current += 1) {
    const next = text.indexOf("\n", start);
    if (next === -1) return null;
    start = next + 1;
  }
  let end = text.indexOf("\n", start);
  if (end === -1) end = text.length;
  if (end > start && text[end - 1] === "\r") end -= 1;
  return [start, end];
}

const SEVERITY_ORDER: Record<string, number> = { error: 0, warning: 1, info: 2 };

/** Errors first, then warnings, then by line (issues without a line last), stable otherwise. */
export function sortIssues(issues: readonly DraftIssue[]): DraftIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        (SEVERITY_ORDER[a.issue.severity] ?? 3) - (SEVERITY_ORDER[b.issue.severity] ?? 3) ||
        (a.issue.line ?? Number.MAX_SAFE_INTEGER) - (b.issue.line ?? Number.MAX_SAFE_INTEGER) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.index - b.index,
    )
    .map(({ issue }) => issue);
}

/** "2 errors, 1 warning" / "no issues". */
export function issueSummary(issues: readonly DraftIssue[]): string {
  if (issues.length === 0) return "no issues";
  const count = (severity: string) => issues.filter((issue) => issue.severity === severity).length;
  const parts: string[] = [];
  for (const [severity, word] of [
    ["error", "error"],
    ["warning", "warning"],
    ["info", "note"],
  ] as const) {
    const n = count(severity);
    if (n > 0) parts.push(`${n} ${word}${n === 1 ? "" : "s"}`);
  }
  return parts.join(", ");
}

/** The dag_id the generated code declares (`dag_id="..."`), or null. */
export function dagIdOf(dagCode: string | null | undefined): string | null {
  const match = /\bdag_id\s*=\s*["']([A-Za-z0-9_.-]{1,250})["']/.exec(dagCode ?? "");
  return match ? match[1] : null;
}

/** A safe file-name stem: the DAG id, else the saved draft's name, else "workflow_draft". */
export function draftFileStem(dagCode: string | null | undefined, name?: string | null): string {
  const fromName = (name ?? "")
    .normalize("NFKD")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[._]+|[._]+$/g, "")
    .slice(0, 80);
  return dagIdOf(dagCode) ?? (fromName || "workflow_draft");
}

export function downloadNames(stem: string): { dag: string; events: string; mermaid: string } {
  return { dag: `${stem}.py`, events: `${stem}.events.json`, mermaid: `${stem}.mmd` };
}

/** The sample events as a JSON file (one per path; `airflow dags test <dag_id> -c '{"event": ...}'`). */
export function testEventsFile(events: readonly TestEvent[]): string {
  return `${JSON.stringify(events, null, 2)}\n`;
}

export const GRAMMAR_HELP: ReadonlyArray<readonly [string, string]> = [
  ["trigger", "When <event> lands / arrives / is updated · Every day at 06:00 · every 15 minutes"],
  ["step", "[then] <operation> [it | on <dataset>] [into/to/from <value>], chained with “and then”"],
  ["decision", "If <condition> then <steps>, otherwise if <condition> then <steps>, otherwise <steps>"],
  ["condition", "<value> is [not] <word>, <value> is more than / less than / at least / at most <n> [%], more than <n> % of <things> are <state>; and, or, not, ( … )"],
  ["loop", "For each <item> in <collection>, <steps>"],
  ["parallel", "At the same time <step> and <step>"],
  ["ends", "stop · notify <owner> · continue"],
];

export const EXAMPLE_TEXT =
  "When an order file lands, check it, if more than 1 % rows are invalid notify data-ops otherwise load it into the warehouse";
