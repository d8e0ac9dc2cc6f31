import { useEffect, useRef, useState } from "react";
import type { DraftIssue, SavedDraftSummary } from "../api/workflows";
import * as s from "../components/styles";
import { useColorMode } from "../lineage/theme";
import { GRAMMAR_HELP, issueLocation, issueSummary, sortIssues } from "./logic";
import { renderMermaid } from "./mermaidRender";
import { showSvg } from "./svgInsert";

const SEVERITY_COLOR: Record<string, string> = { error: "#b91c1c", warning: "#a16207", info: "#1d4ed8" };

export const textArea = {
  ...s.select,
  width: "100%",
  boxSizing: "border-box" as const,
  fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
  fontSize: "13px",
  lineHeight: 1.5,
  resize: "vertical" as const,
};

export function GrammarHelp() {
  return (
    <details data-testid="flowlytics-wf-help" style={{ margin: "6px 0" }}>
      <summary style={{ cursor: "pointer" }}>How to write it (controlled English)</summary>
      <table style={{ ...s.table, marginTop: "6px" }}>
        <tbody>
          {GRAMMAR_HELP.map(([what, how]) => (
            <tr key={what}>
              <td style={{ ...s.td, fontWeight: 600, whiteSpace: "nowrap" }}>{what}</td>
              <td style={s.td}>
                <code style={s.code}>{how}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p style={{ ...s.muted, margin: "6px 0" }}>
        Statements end at a new line, “.”, “,” or “;”. “it” is the dataset that triggered the workflow. Quote names with
        unusual characters (“"s3://bucket/orders.csv"”). “a and b or c” is never guessed: add parentheses.
      </p>
    </details>
  );
}

export function IssuesList({
  issues,
  onSelect,
}: {
  issues: readonly DraftIssue[];
  onSelect: (issue: DraftIssue) => void;
}) {
  const sorted = sortIssues(issues);
  return (
    <section data-testid="flowlytics-wf-issues" data-count={issues.length}>
      <h3 style={{ fontSize: "15px", margin: "12px 0 6px" }}>
        Issues <span style={s.muted}>({issueSummary(issues)})</span>
      </h3>
      {sorted.length > 0 && (
        <table style={s.table}>
          <thead>
            <tr>
              <th style={s.th}>Severity</th>
              <th style={s.th}>Code</th>
              <th style={s.th}>Where</th>
              <th style={s.th}>Message</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((issue, index) => {
              const where = issueLocation(issue);
              return (
                <tr
                  key={`${issue.code}-${issue.line ?? ""}-${issue.column ?? ""}-${index}`}
                  data-testid="flowlytics-wf-issue"
                  data-code={issue.code}
                  data-severity={issue.severity}
                  data-line={issue.line ?? ""}
                >
                  <td style={{ ...s.tdNowrap, color: SEVERITY_COLOR[issue.severity], fontWeight: 600 }}>
                    {issue.severity}
                  </td>
                  <td style={s.tdNowrap}>
                    <code style={s.code}>{issue.code}</code>
                  </td>
                  <td style={s.tdNowrap}>
                    {where ? (
                      <button
                        type="button"
                        data-testid="flowlytics-wf-issue-link"
                        style={{ ...s.link, background: "transparent", border: "none", padding: 0, font: "inherit" }}
                        title={`select line ${issue.line} in the text`}
                        onClick={() => onSelect(issue)}
                      >
                        line {where}
                      </button>
                    ) : (
                      <span style={s.muted}>—</span>
                    )}
                  </td>
                  <td style={s.td}>{issue.message}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The Mermaid diagram, drawn by the lazily loaded `mermaid` package and inserted as a scrubbed SVG. */
export function MermaidPreview({ code }: { code: string }) {
  const container = useRef<HTMLDivElement>(null);
  const mode = useColorMode();
  const [state, setState] = useState<{ status: "idle" | "drawing" | "drawn" | "failed"; error?: string }>({
    status: "idle",
  });
  useEffect(() => {
    const element = container.current;
    if (!element) return undefined;
    if (!code.trim()) {
      element.replaceChildren();
      setState({ status: "idle" });
      return undefined;
    }
    let cancelled = false;
    setState({ status: "drawing" });
    renderMermaid(code, mode).then(
      (svg) => {
        if (cancelled) return;
        try {
          const drawn = showSvg(element, svg);
          drawn.setAttribute("data-testid", "flowlytics-wf-svg");
          setState({ status: "drawn" });
        } catch (error) {
          setState({ status: "failed", error: error instanceof Error ? error.message : String(error) });
        }
      },
      (error: unknown) => {
        if (!cancelled) setState({ status: "failed", error: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [code, mode]);
  return (
    <section data-testid="flowlytics-wf-diagram" data-status={state.status} data-color-mode={mode}>
      {state.status === "drawing" && <div style={s.muted}>Drawing…</div>}
      {state.status === "failed" && (
        <div style={s.errorBox} role="alert">
          The diagram could not be drawn: {state.error}
        </div>
      )}
      <div ref={container} style={{ overflowX: "auto", padding: "8px 0" }} />
    </section>
  );
}

export function SavedDraftsList({
  items,
  activeId,
  onOpen,
  onDelete,
}: {
  items: readonly SavedDraftSummary[];
  activeId: number | null;
  onOpen: (id: number) => void;
  onDelete: (id: number) => void;
}) {
  if (items.length === 0) return <p style={s.muted}>No saved drafts yet.</p>;
  return (
    <ul data-testid="flowlytics-wf-saved" style={{ listStyle: "none", padding: 0, margin: 0 }}>
      {items.map((item) => (
        <li
          key={item.id}
          data-testid="flowlytics-wf-saved-item"
          data-id={item.id}
          data-name={item.name}
          style={{
            display: "flex",
            alignItems: "center",
            gap: "8px",
            padding: "4px 0",
            fontWeight: item.id === activeId ? 600 : 400,
          }}
        >
          <button type="button" style={{ ...s.link, background: "transparent", border: "none", padding: 0, font: "inherit" }} onClick={() => onOpen(item.id)}>
            {item.name}
          </button>
          <span style={{ ...s.muted, fontSize: "12px" }}>{new Date(item.updatedAt).toLocaleString()}</span>
          <button type="button" data-testid="flowlytics-wf-delete" style={s.button} onClick={() => onDelete(item.id)}>
            Delete
          </button>
        </li>
      ))}
    </ul>
  );
}
