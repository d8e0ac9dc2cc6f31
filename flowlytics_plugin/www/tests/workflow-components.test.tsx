import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { DraftIssue } from "../src/api/workflows";
import { GrammarHelp, IssuesList, SavedDraftsList } from "../src/workflows/components";
import { WorkflowDraftsPage } from "../src/pages/WorkflowDraftsPage";
import { VIEW_COMPONENTS } from "../src/App";
import { VIEW_GLOBAL_NAMES, viewFromModuleUrl } from "../src/lib/view";

const EVIL = "<img src=x onerror=window.__pwned=1>";

const issues: DraftIssue[] = [
  { severity: "warning", code: "WF022", message: "a dataset Flowlytics has not seen", line: 1, column: 6, node: null },
  { severity: "error", code: "WF003", message: `unknown operation '${EVIL}'`, line: 2, column: 1, node: "n2" },
  { severity: "error", code: "WF001", message: "no trigger", line: null, column: null, node: null },
];

describe("IssuesList", () => {
  const html = renderToStaticMarkup(<IssuesList issues={issues} onSelect={() => undefined} />);
  it("shows severity, code, line:column and message, errors first", () => {
    expect(html).toContain('data-count="3"');
    expect(html).toContain("2 errors, 1 warning");
    const codes = [...html.matchAll(/data-code="(WF\d+)"/g)].map((m) => m[1]);
    expect(codes).toEqual(["WF003", "WF001", "WF022"]);
    expect(html).toContain("line 2:1");
    expect(html).toContain("line 1:6");
    // one link per issue with a line; none for the issue without one
    expect(html.match(/data-testid="flowlytics-wf-issue-link"/g)).toHaveLength(2);
  });
  it("renders messages as text", () => {
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=window.__pwned=1&gt;");
  });
  it("says so when there are none", () => {
    const empty = renderToStaticMarkup(<IssuesList issues={[]} onSelect={() => undefined} />);
    expect(empty).toContain("no issues");
    expect(empty).not.toContain("<table");
  });
});

describe("SavedDraftsList", () => {
  it("lists names as text with open and delete", () => {
    const html = renderToStaticMarkup(
      <SavedDraftsList
        items={[
          { id: 7, name: EVIL, createdAt: "2026-12-01T10:00:00Z", updatedAt: "2026-12-01T11:00:00Z" },
          { id: 8, name: "orders", createdAt: "2026-12-01T10:00:00Z", updatedAt: "2026-12-01T10:00:00Z" },
        ]}
        activeId={8}
        onOpen={() => undefined}
        onDelete={() => undefined}
      />,
    );
    expect(html).not.toContain("<img");
    expect(html.match(/data-testid="flowlytics-wf-saved-item"/g)).toHaveLength(2);
    expect(html.match(/data-testid="flowlytics-wf-delete"/g)).toHaveLength(2);
  });
  it("says when there is none", () => {
    expect(renderToStaticMarkup(<SavedDraftsList items={[]} activeId={null} onOpen={() => undefined} onDelete={() => undefined} />)).toContain(
      "No saved drafts yet.",
    );
  });
});

describe("the page", () => {
  it("is the workflow-drafts view of the bundle", () => {
    expect(viewFromModuleUrl("http://af/flowlytics/static/flowlytics.js?view=workflow-drafts")).toBe("workflow-drafts");
    expect(VIEW_GLOBAL_NAMES["workflow-drafts"]).toBe("Workflow drafts");
    expect(VIEW_COMPONENTS["workflow-drafts"]).toBeTypeOf("function");
  });
  it("renders the text area, the help and the check button before anything is checked", () => {
    const html = renderToStaticMarkup(<WorkflowDraftsPage />);
    expect(html).toContain('data-testid="flowlytics-wf-text"');
    expect(html).toContain('data-testid="flowlytics-wf-check"');
    expect(html).toContain("How to write it");
    expect(html).not.toContain('data-testid="flowlytics-wf-paraphrase"');
    const help = renderToStaticMarkup(<GrammarHelp />);
    for (const word of ["When", "If", "otherwise", "For each", "At the same time", "stop"]) expect(help).toContain(word);
  });
});
