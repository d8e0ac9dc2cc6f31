/**
 * Workflow drafts API (`/api/v1/workflows/...`, see lineage_backend/api/workflow_schemas.py).
 * Every call goes through the one helper in ./client.
 */
import { requestJson } from "./client";

export type IssueSeverity = "error" | "warning" | "info";

export interface DraftIssue {
  severity: IssueSeverity;
  code: string;
  message: string;
  line: number | null;
  column: number | null;
  node: string | null;
}

export interface TestEvent {
  name: string;
  event: Record<string, unknown>;
  expectedTasks: string[];
  skippedTasks: string[];
  choices: string[];
}

export interface Draft {
  model: Record<string, unknown> | null;
  paraphrase: string;
  mermaid: string;
  issues: DraftIssue[];
  dagCode: string | null;
  testEvents: TestEvent[];
}

export interface SavedDraftSummary {
  id: number;
  name: string;
  createdAt: string;
  updatedAt: string;
}

export interface SavedDraft extends SavedDraftSummary {
  text: string;
  draft: Draft;
}

export interface SavedDraftList {
  items: SavedDraftSummary[];
  totalCount: number;
}

export function checkDraft(text: string, signal?: AbortSignal): Promise<Draft> {
  return requestJson<Draft>("POST", "workflows/drafts", { body: { text }, signal });
}

export function listSavedDrafts(signal?: AbortSignal): Promise<SavedDraftList> {
  return requestJson<SavedDraftList>("GET", "workflows/saved", { query: { limit: 1000 }, signal });
}

export function openSavedDraft(id: number): Promise<SavedDraft> {
  return requestJson<SavedDraft>("GET", `workflows/saved/${encodeURIComponent(String(id))}`);
}

export function saveDraft(name: string, text: string): Promise<SavedDraft> {
  return requestJson<SavedDraft>("POST", "workflows/saved", { body: { name, text } });
}

export function updateSavedDraft(id: number, patch: { name?: string; text?: string }): Promise<SavedDraft> {
  return requestJson<SavedDraft>("PATCH", `workflows/saved/${encodeURIComponent(String(id))}`, { body: patch });
}

export async function deleteSavedDraft(id: number): Promise<void> {
  await requestJson<undefined>("DELETE", `workflows/saved/${encodeURIComponent(String(id))}`, { allowEmpty: true });
}
