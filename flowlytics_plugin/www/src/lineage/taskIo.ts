/**
 * Rows of the task tab: a task's input and output datasets with the row
 * counts of its latest run that has them. Pure (unit-tested).
 */
import type { DetailRun, NodeDetails, RunDataset } from "./types";

export interface IoRow {
  direction: "input" | "output";
  /** Dataset node id (`dataset:<namespace>:<name>`). */
  id: string;
  namespace: string;
  name: string;
  rowCount: number | null;
  bytes: number | null;
  fileCount: number | null;
  /** The run the counts come from (null: no run reported this dataset). */
  run: DetailRun | null;
}

export const datasetId = (d: Pick<RunDataset, "namespace" | "name">) => `dataset:${d.namespace}:${d.name}`;

/** Best-effort display split of a dataset id whose namespace is unknown. */
export function splitDatasetId(id: string): { namespace: string; name: string } {
  const rest = id.startsWith("dataset:") ? id.slice("dataset:".length) : id;
  // Namespaces look like scheme://authority (which may hold one ':port'); the name follows the next ':'.
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/:]*(?::\d+)?|[^:]*):(.*)$/i.exec(rest);
  return m ? { namespace: m[1], name: m[2] } : { namespace: "", name: rest };
}

const TERMINAL = new Set(["COMPLETED", "FAILED", "ABORTED"]);

/**
 * Inputs then outputs, each in the order the job lists them, plus any dataset
 * only seen in runs. Counts come from the newest run that reported the dataset
 * with a row count (finished runs first), else from the newest that reported it.
 */
export function ioRows(job: NodeDetails): IoRow[] {
  const runs = [...job.latestRuns].sort((a, b) => (b.startedAt ?? "").localeCompare(a.startedAt ?? ""));
  const ordered = [
    ...runs.filter((r) => TERMINAL.has(String(r.state ?? "").toUpperCase())),
    ...runs.filter((r) => !TERMINAL.has(String(r.state ?? "").toUpperCase())),
  ];
  const rows: IoRow[] = [];
  for (const direction of ["input", "output"] as const) {
    const listed = direction === "input" ? job.upstreamIds : job.downstreamIds;
    const ids: string[] = [...listed];
    for (const run of runs) {
      for (const d of direction === "input" ? run.inputs : run.outputs) {
        const id = datasetId(d);
        if (!ids.includes(id)) ids.push(id);
      }
    }
    for (const id of ids) {
      const seen = (run: DetailRun) => (direction === "input" ? run.inputs : run.outputs).find((d) => datasetId(d) === id);
      const withCount = ordered.find((run) => seen(run)?.rowCount != null);
      const any = withCount ?? ordered.find((run) => seen(run) !== undefined) ?? null;
      const entry = any ? seen(any) : undefined;
      const names = entry ? { namespace: entry.namespace, name: entry.name } : splitDatasetId(id);
      rows.push({
        direction,
        id,
        ...names,
        rowCount: entry?.rowCount ?? null,
        bytes: entry?.bytes ?? null,
        fileCount: entry?.fileCount ?? null,
        run: any,
      });
    }
  }
  return rows;
}
