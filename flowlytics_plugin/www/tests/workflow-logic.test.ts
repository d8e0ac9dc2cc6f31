import { describe, expect, it } from "vitest";
import type { DraftIssue } from "../src/api/workflows";
import {
  dagIdOf,
  downloadNames,
  draftFileStem,
  issueLocation,
  issueSummary,
  lineRange,
  sortIssues,
  testEventsFile,
} from "../src/workflows/logic";

const issue = (over: Partial<DraftIssue>): DraftIssue => ({
  severity: "error",
  code: "WF000",
  message: "m",
  line: null,
  column: null,
  node: null,
  ...over,
});

describe("lineRange", () => {
  const text = "When x lands\r\ncheck it\n\nload it";
  it("selects a whole line without its break, CR LF or LF", () => {
    expect(lineRange(text, 1)).toEqual([0, 12]);
    expect(text.slice(...lineRange(text, 2)!)).toBe("check it");
    expect(lineRange(text, 3)).toEqual([23, 23]);
    expect(text.slice(...lineRange(text, 4)!)).toBe("load it");
  });
  it("is null for a line the text does not have", () => {
    expect(lineRange(text, 5)).toBeNull();
    expect(lineRange(text, 0)).toBeNull();
    expect(lineRange(text, 1.5)).toBeNull();
    expect(lineRange("", 1)).toEqual([0, 0]);
  });
});

describe("issues", () => {
  it("formats line:column", () => {
    expect(issueLocation({ line: 3, column: 7 })).toBe("3:7");
    expect(issueLocation({ line: 3, column: null })).toBe("3");
    expect(issueLocation({ line: null, column: 2 })).toBe("");
  });
  it("sorts errors first, then by line, issues without a line last", () => {
    const sorted = sortIssues([
      issue({ severity: "warning", code: "W1", line: 1 }),
      issue({ code: "E-none" }),
      issue({ code: "E3", line: 3, column: 5 }),
      issue({ code: "E3a", line: 3, column: 1 }),
      issue({ severity: "info", code: "I", line: 1 }),
    ]);
    expect(sorted.map((i) => i.code)).toEqual(["E3a", "E3", "E-none", "W1", "I"]);
  });
  it("summarises counts", () => {
    expect(issueSummary([])).toBe("no issues");
    expect(issueSummary([issue({}), issue({}), issue({ severity: "warning" })])).toBe("2 errors, 1 warning");
    expect(issueSummary([issue({ severity: "info" })])).toBe("1 note");
  });
});

describe("downloads", () => {
  const code = 'with DAG(\n    dag_id="order_file_workflow",\n    schedule=[ORDER_FILE],\n):\n';
  it("names files after the DAG id", () => {
    expect(dagIdOf(code)).toBe("order_file_workflow");
    expect(dagIdOf("no dag here")).toBeNull();
    expect(downloadNames(draftFileStem(code, "ignored"))).toEqual({
      dag: "order_file_workflow.py",
      events: "order_file_workflow.events.json",
      mermaid: "order_file_workflow.mmd",
    });
  });
  it("falls back to a safe stem of the draft name, never a path", () => {
    expect(draftFileStem(null, "../../etc/passwd <x>")).toBe("etc_passwd_x");
    expect(draftFileStem(null, "")).toBe("workflow_draft");
    expect(draftFileStem(undefined, null)).toBe("workflow_draft");
  });
  it("writes the test events as JSON that reads back", () => {
    const events = [{ name: "p1", event: { invalid_rows_percent: 2 }, expectedTasks: ["a"], skippedTasks: [], choices: ["x"] }];
    expect(JSON.parse(testEventsFile(events))).toEqual(events);
  });
});
