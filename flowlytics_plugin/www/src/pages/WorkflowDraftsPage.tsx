import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";
import {
  checkDraft,
  deleteSavedDraft,
  listSavedDrafts,
  openSavedDraft,
  saveDraft,
  updateSavedDraft,
  type Draft,
  type DraftIssue,
  type SavedDraftSummary,
} from "../api/workflows";
import * as s from "../components/styles";
import { downloadText } from "../lineage/exportFiles";
import { GrammarHelp, IssuesList, MermaidPreview, SavedDraftsList, textArea } from "../workflows/components";
import { EXAMPLE_TEXT, downloadNames, draftFileStem, lineRange, testEventsFile } from "../workflows/logic";

function message(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Workflow drafts: controlled English → paraphrase, Mermaid diagram, issues
 * and an Airflow DAG draft to download for review. Nothing is written into a
 * DAGs folder from here.
 */
export function WorkflowDraftsPage() {
  const [text, setText] = useState("");
  const [paraphrase, setParaphrase] = useState("");
  const [draft, setDraft] = useState<Draft | null>(null);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<SavedDraftSummary[]>([]);
  const [active, setActive] = useState<{ id: number; name: string } | null>(null);
  const [name, setName] = useState("");
  const [status, setStatus] = useState<string | null>(null);
  const textRef = useRef<HTMLTextAreaElement>(null);

  const refreshSaved = useCallback(() => {
    listSavedDrafts().then(
      (list) => setSaved(list.items),
      (e: unknown) => setError(`Saved drafts could not be listed: ${message(e)}`),
    );
  }, []);
  useEffect(refreshSaved, [refreshSaved]);

  const show = useCallback((result: Draft) => {
    setDraft(result);
    setParaphrase(result.paraphrase);
  }, []);

  const check = useCallback(
    async (source: string) => {
      setChecking(true);
      setError(null);
      setStatus(null);
      try {
        show(await checkDraft(source));
      } catch (e) {
        setError(message(e));
      } finally {
        setChecking(false);
      }
    },
    [show],
  );

  const checkParaphrase = useCallback(() => {
    // The paraphrase is valid input: it becomes the text, so issue lines point into what is shown.
    setText(paraphrase);
    void check(paraphrase);
  }, [paraphrase, check]);

  const selectIssue = useCallback(
    (issue: DraftIssue) => {
      const area = textRef.current;
      if (!area || issue.line == null) return;
      const range = lineRange(area.value, issue.line);
      if (!range) return;
      area.focus();
      area.setSelectionRange(range[0], range[1]);
      // Scroll the selected line into view (a textarea does not on its own after setSelectionRange in all browsers).
      const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 20;
      area.scrollTop = Math.max(0, (issue.line - 2) * lineHeight);
    },
    [],
  );

  const open = useCallback(
    async (id: number) => {
      setError(null);
      try {
        const one = await openSavedDraft(id);
        setText(one.text);
        setActive({ id: one.id, name: one.name });
        setName(one.name);
        show(one.draft);
        setStatus(`Opened “${one.name}”.`);
      } catch (e) {
        setError(message(e));
      }
    },
    [show],
  );

  const save = useCallback(
    async (asNew: boolean) => {
      const wanted = name.trim();
      if (!wanted) {
        setError("Give the draft a name to save it.");
        return;
      }
      setError(null);
      try {
        const one = active && !asNew ? await updateSavedDraft(active.id, { name: wanted, text }) : await saveDraft(wanted, text);
        setActive({ id: one.id, name: one.name });
        show(one.draft);
        setStatus(`Saved “${one.name}”.`);
        refreshSaved();
      } catch (e) {
        setError(message(e));
      }
    },
    [active, name, text, show, refreshSaved],
  );

  const remove = useCallback(
    async (id: number) => {
      setError(null);
      try {
        await deleteSavedDraft(id);
        if (active?.id === id) {
          setActive(null);
          setName("");
        }
        setStatus("Deleted.");
        refreshSaved();
      } catch (e) {
        setError(message(e));
      }
    },
    [active, refreshSaved],
  );

  const stem = draftFileStem(draft?.dagCode, active?.name);
  const files = downloadNames(stem);
  const hasErrors = (draft?.issues ?? []).some((issue) => issue.severity === "error");

  return (
    <div style={s.page} data-testid="flowlytics-workflow-drafts">
      <h2 style={s.title}>Workflow drafts</h2>
      <p style={{ ...s.muted, marginTop: 0 }}>
        Write what should happen; Flowlytics says back what it understood, draws it, lists what is undefined and
        drafts an Airflow DAG for an engineer to review. Nothing is written into a DAGs folder from here.
      </p>
      <div style={{ display: "grid", gridTemplateColumns: "minmax(0, 3fr) minmax(220px, 1fr)", gap: "20px" }}>
        <div>
          <label htmlFor="flowlytics-wf-text" style={{ fontWeight: 600 }}>
            The workflow
          </label>
          <textarea
            id="flowlytics-wf-text"
            ref={textRef}
            data-testid="flowlytics-wf-text"
            rows={7}
            spellCheck={false}
            style={textArea}
            value={text}
            placeholder={EXAMPLE_TEXT}
            onChange={(event) => setText(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) void check(text);
            }}
          />
          <GrammarHelp />
          <div style={s.toolbar}>
            <button
              type="button"
              data-testid="flowlytics-wf-check"
              style={checking || !text.trim() ? s.buttonDisabled : s.button}
              disabled={checking || !text.trim()}
              onClick={() => void check(text)}
            >
              {checking ? "Checking…" : "Check"}
            </button>
            <button type="button" style={s.button} onClick={() => setText(EXAMPLE_TEXT)}>
              Example
            </button>
            <span style={s.muted}>Ctrl+Enter checks too.</span>
          </div>
          {error && (
            <div style={s.errorBox} role="alert" data-testid="flowlytics-wf-error">
              {error}
            </div>
          )}
          {status && !error && (
            <div style={s.muted} data-testid="flowlytics-wf-status">
              {status}
            </div>
          )}
          {draft && (
            <>
              <h3 style={{ fontSize: "15px", margin: "12px 0 6px" }}>What Flowlytics understood</h3>
              <textarea
                data-testid="flowlytics-wf-paraphrase"
                aria-label="paraphrase (editable)"
                rows={Math.min(12, Math.max(3, paraphrase.split("\n").length + 1))}
                spellCheck={false}
                style={textArea}
                value={paraphrase}
                onChange={(event) => setParaphrase(event.target.value)}
              />
              <div style={{ ...s.toolbar, marginTop: "6px" }}>
                <button
                  type="button"
                  data-testid="flowlytics-wf-check-paraphrase"
                  style={checking || !paraphrase.trim() ? s.buttonDisabled : s.button}
                  disabled={checking || !paraphrase.trim()}
                  onClick={checkParaphrase}
                >
                  Use and check the paraphrase
                </button>
              </div>
              <IssuesList issues={draft.issues} onSelect={selectIssue} />
              <h3 style={{ fontSize: "15px", margin: "12px 0 6px" }}>Diagram</h3>
              <MermaidPreview code={draft.mermaid} />
              <div style={s.toolbar}>
                <button
                  type="button"
                  data-testid="flowlytics-wf-download-dag"
                  style={draft.dagCode ? s.button : s.buttonDisabled}
                  disabled={!draft.dagCode}
                  title={draft.dagCode ? "" : "fix the errors first: a draft with errors has no DAG"}
                  onClick={() => draft.dagCode && downloadText(draft.dagCode, files.dag, "text/x-python")}
                >
                  Download DAG ({files.dag})
                </button>
                <button
                  type="button"
                  data-testid="flowlytics-wf-download-events"
                  style={draft.testEvents.length ? s.button : s.buttonDisabled}
                  disabled={!draft.testEvents.length}
                  onClick={() => downloadText(testEventsFile(draft.testEvents), files.events, "application/json")}
                >
                  Download test events
                </button>
                <button
                  type="button"
                  data-testid="flowlytics-wf-download-mermaid"
                  style={draft.mermaid ? s.button : s.buttonDisabled}
                  disabled={!draft.mermaid}
                  onClick={() => downloadText(draft.mermaid, files.mermaid, "text/vnd.mermaid")}
                >
                  Download Mermaid
                </button>
                {hasErrors && <span style={s.muted}>A draft with errors has no DAG: fix them and check again.</span>}
              </div>
            </>
          )}
        </div>
        <aside>
          <h3 style={{ fontSize: "15px", margin: "0 0 6px" }}>Your saved drafts</h3>
          <div style={{ display: "flex", gap: "6px", flexWrap: "wrap", marginBottom: "8px" }}>
            <input
              data-testid="flowlytics-wf-name"
              aria-label="draft name"
              placeholder="name"
              value={name}
              maxLength={200}
              style={{ ...s.select, flex: "1 1 120px" }}
              onChange={(event) => setName(event.target.value)}
            />
            <button type="button" data-testid="flowlytics-wf-save" style={s.button} onClick={() => void save(false)}>
              {active ? "Save" : "Save new"}
            </button>
            {active && (
              <button type="button" style={s.button} onClick={() => void save(true)}>
                Save as new
              </button>
            )}
          </div>
          <SavedDraftsList items={saved} activeId={active?.id ?? null} onOpen={(id) => void open(id)} onDelete={(id) => void remove(id)} />
        </aside>
      </div>
    </div>
  );
}
