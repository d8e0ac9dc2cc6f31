/**
 * An in-page stand-in for the batch-health endpoints, for the UI benchmark
 * (`npm run bench:batch-ui`) and for looking at the Batch Health views
 * without a backend. Batch 0 is the newest, with `processes` processes; the
 * others are small. Not used by the shipped bundle.
 */
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const STATUSES = ["SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS", "FAILED", "ABORTED", "RUNNING", "PENDING", "SKIPPED"];
const DAGS = ["sales_daily", "payments_hourly", "crm_sync"];
const ENVS = ["prod", "staging"];
const NS = "airflow_prod";

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

type Obj = Record<string, unknown>;

export interface MockBatches {
  batches: Obj[];
  processes: Map<string, Obj[]>;
}

function uuid(r: () => number): string {
  const hex = () => Math.floor(r() * 16).toString(16);
  const part = (n: number) => Array.from({ length: n }, hex).join("");
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
}

function makeProcesses(batchId: string, dagId: string, count: number, start: number, r: () => number): Obj[] {
  const out: Obj[] = [];
  for (let i = 0; i < count; i++) {
    const status = count <= 3 ? ["SUCCESS", "FAILED", "ABORTED"][i] : STATUSES[Math.floor(r() * STATUSES.length)];
    const started = status === "PENDING" || status === "ABORTED" ? null : start + Math.floor(r() * 3600_000);
    const duration = started !== null && status !== "RUNNING" ? Math.floor(5 + r() * 900) : null;
    const ended = started !== null && duration !== null ? started + duration * 1000 : null;
    const read = started !== null ? Math.floor(r() * 2_000_000) : null;
    const written = started !== null && status !== "FAILED" ? Math.floor((read ?? 0) * (0.5 + r() / 2)) : null;
    const dq = read !== null && r() < 0.2 ? Math.floor(read * r() * 0.03) : null;
    const name = `task_${String(i).padStart(4, "0")}${i === 7 ? "_<img src=x onerror=alert(1)>" : ""}`;
    out.push({
      runId: started !== null ? uuid(r) : null,
      jobId: `job:${NS}:${dagId}.${name}`,
      name,
      status,
      startedAt: started !== null ? new Date(started).toISOString() : null,
      endedAt: ended !== null ? new Date(ended).toISOString() : null,
      durationSeconds: duration,
      rowsRead: read,
      rowsWritten: written,
      rowsUpdated: written !== null && r() < 0.3 ? Math.floor(written * 0.1) : null,
      rowsInserted: written !== null && r() < 0.3 ? Math.floor(written * 0.9) : null,
      dqErrors: dq,
      dqErrorRate: dq !== null && read ? dq / read : null,
      dqWarning: dq !== null && !!read && dq / read > 0.01,
      readThroughput: read !== null && duration ? read / duration : null,
      writeThroughput: written !== null && duration ? written / duration : null,
      tries: started === null ? 0 : r() < 0.05 ? 2 : 1,
      errorMessage: status === "FAILED" ? `ValueError: ${name} failed: 12 rows did not reconcile with the ledger` : null,
      logUrl: started !== null ? `http://airflow.internal:8080/dags/${dagId}/runs/manual__x/tasks/${name}?try_number=1` : null,
      critical: i === 1,
      _batch: batchId,
    });
  }
  return out;
}

function summarise(batch: Obj, processes: Obj[]): Obj {
  const counts: Record<string, number> = {};
  for (const p of processes) counts[String(p.status)] = (counts[String(p.status)] ?? 0) + 1;
  const finished = ["SUCCESS", "FAILED", "ABORTED", "SKIPPED"].reduce((n, s) => n + (counts[s] ?? 0), 0);
  const ok = (counts.SUCCESS ?? 0) + (counts.SKIPPED ?? 0);
  const successRate = finished ? ok / finished : null;
  const critical = processes.some((p) => p.critical && (p.status === "FAILED" || p.status === "ABORTED"));
  const health = critical || (successRate !== null && successRate < 0.9) ? "RED" : successRate !== null && successRate < 1 ? "YELLOW" : "GREEN";
  return {
    ...batch,
    totalProcesses: processes.length,
    succeeded: counts.SUCCESS ?? 0,
    failed: counts.FAILED ?? 0,
    aborted: counts.ABORTED ?? 0,
    running: counts.RUNNING ?? 0,
    pending: counts.PENDING ?? 0,
    skipped: counts.SKIPPED ?? 0,
    successRate,
    health,
  };
}

export function mockBatches(processCount: number, seed = 7, batchCount = 30): MockBatches {
  const r = rng(seed);
  const now = Date.now();
  const batches: Obj[] = [];
  const processes = new Map<string, Obj[]>();
  for (let i = 0; i < batchCount; i++) {
    const dagId = DAGS[i % DAGS.length];
    const start = now - i * 5.5 * 3600_000 - 600_000;
    const batchId = uuid(r);
    const count = i === 0 ? processCount : 3 + Math.floor(r() * 12);
    const procs = makeProcesses(batchId, dagId, count, start, r);
    const running = procs.some((p) => p.status === "RUNNING");
    const ended = running ? null : start + 3600_000 + Math.floor(r() * 1800_000);
    processes.set(batchId, procs);
    batches.push(
      summarise(
        {
          batchId,
          job: { namespace: NS, name: dagId },
          jobId: `job:${NS}:${dagId}`,
          dagId,
          state: running ? "RUNNING" : procs.some((p) => p.status === "FAILED") ? "FAILED" : "COMPLETED",
          startedAt: new Date(start).toISOString(),
          endedAt: ended ? new Date(ended).toISOString() : null,
          durationSeconds: ended ? (ended - start) / 1000 : null,
          env: ENVS[i % 5 === 4 ? 1 : 0],
        },
        procs,
      ),
    );
  }
  return { batches, processes };
}

function sortValue(p: Obj, key: string): number | string | null {
  const v = p[key];
  return v === null || v === undefined ? null : typeof v === "number" ? v : String(v);
}

function sortedProcesses(procs: Obj[], q: URLSearchParams): Obj[] {
  const sort = q.get("sort") ?? "startedAt";
  const desc = q.get("order") === "desc";
  const wanted = (q.get("status") ?? "").split(",").filter(Boolean);
  const rows = wanted.length ? procs.filter((p) => wanted.includes(String(p.status))) : procs;
  const present = rows.filter((p) => sortValue(p, sort) !== null);
  const missing = rows.filter((p) => sortValue(p, sort) === null);
  present.sort((a, b) => {
    const x = sortValue(a, sort) as number | string;
    const y = sortValue(b, sort) as number | string;
    const c = x < y ? -1 : x > y ? 1 : String(a.name).localeCompare(String(b.name));
    return desc ? -c : c;
  });
  missing.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  return [...present, ...missing];
}

function strip(p: Obj): Obj {
  const { _batch: _, ...rest } = p;
  return rest;
}

/** Replaces window.fetch for `flowlytics/api/v1/...`; `latencyMs` delays every answer. */
export function installBatchMockApi(data: MockBatches, options: { latencyMs?: number } = {}): void {
  const realFetch = window.fetch.bind(window);
  const byId = new Map(data.batches.map((b) => [String(b.batchId), b]));
  const runs = new Map<string, Obj>();
  for (const procs of data.processes.values()) for (const p of procs) if (p.runId) runs.set(String(p.runId), p);
  const delay = () => new Promise((resolve) => setTimeout(resolve, options.latencyMs ?? 0));
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input), window.location.href);
    const marker = "/flowlytics/api/v1/";
    const at = url.pathname.indexOf(marker);
    if (at < 0) return realFetch(input, init);
    if (options.latencyMs) await delay();
    const path = decodeURIComponent(url.pathname.slice(at + marker.length));
    const q = url.searchParams;
    if (path === "graph/version") return json({ version: "1.1" });
    if (path === "batches") {
      let items = data.batches;
      if (q.get("dagId")) items = items.filter((b) => b.dagId === q.get("dagId"));
      if (q.get("airflowRunId")) items = items.slice(0, 1);
      if (q.get("env")) items = items.filter((b) => b.env === q.get("env"));
      if (q.get("since")) items = items.filter((b) => String(b.startedAt) >= String(q.get("since")));
      const offset = Number(q.get("offset") ?? 0);
      const limit = Number(q.get("limit") ?? 50);
      return json({ items: items.slice(offset, offset + limit), totalCount: items.length });
    }
    if (path === "batches/trends") {
      const days = Number(q.get("days") ?? 7);
      const r = rng(days);
      const points = Array.from({ length: days }, (_, i) => {
        const date = new Date(Date.now() - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10);
        const batches = Math.floor(r() * 6);
        return {
          date,
          batches,
          avgDurationSeconds: batches ? 2400 + r() * 1800 : null,
          successRate: batches ? 0.8 + r() * 0.2 : null,
          rowsProcessed: batches ? Math.floor(r() * 5e6) : 0,
          dqErrorRate: batches ? r() * 0.02 : null,
        };
      });
      return json({ jobId: "job:x", days, points });
    }
    const batchMatch = /^batches\/([^/]+)(\/.*)?$/.exec(path);
    if (batchMatch) {
      const batch = byId.get(batchMatch[1]);
      if (!batch) return json({ detail: `no batch ${batchMatch[1]}` }, 404);
      const procs = data.processes.get(String(batch.batchId)) ?? [];
      const rest = batchMatch[2] ?? "";
      if (rest === "") {
        const rowsRead = procs.reduce((n, p) => n + Number(p.rowsRead ?? 0), 0);
        const dqErrors = procs.reduce((n, p) => n + Number(p.dqErrors ?? 0), 0);
        return json({
          ...batch,
          rowsRead,
          rowsWritten: procs.reduce((n, p) => n + Number(p.rowsWritten ?? 0), 0),
          dqErrors,
          dqErrorRate: rowsRead ? dqErrors / rowsRead : null,
          dqWarnings: procs.filter((p) => p.dqWarning).map((p) => p.name).sort(),
          criticalFailures: procs.filter((p) => p.critical && (p.status === "FAILED" || p.status === "ABORTED")).map((p) => p.jobId),
          sla: { latestArrival: "07:00", maxAgeMinutes: null },
          slaStatus: batch.state === "RUNNING" ? "PENDING" : "MET",
          refreshAfterSeconds: batch.state === "RUNNING" ? 30 : null,
        });
      }
      if (rest === "/processes") {
        const rows = sortedProcesses(procs, q);
        const page = Number(q.get("page") ?? 1);
        const size = Number(q.get("page_size") ?? 25);
        return json({ items: rows.slice((page - 1) * size, page * size).map(strip), totalCount: rows.length, page, pageSize: size });
      }
      if (rest === "/processes.csv") {
        const rows = sortedProcesses(procs, q);
        const csv = ["Process,Status", ...rows.map((p) => `${String(p.name)},${String(p.status)}`)].join("\r\n");
        return new Response(csv, { headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="batch.csv"' } });
      }
      if (rest === "/dq") {
        const items = procs
          .filter((p) => p.dqErrors !== null)
          .slice(0, 40)
          .flatMap((p, i) => [
            { dataset: `dataset:postgres://db:5432:warehouse.t${i}`, column: "amount", assertion: "not_null", success: false, severity: "error", process: p.name, runId: p.runId },
            { dataset: `dataset:postgres://db:5432:warehouse.t${i}`, column: null, assertion: "row_count > 0", success: true, severity: null, process: p.name, runId: p.runId },
          ])
          .sort((a, b) => Number(a.success) - Number(b.success));
        const rowsRead = procs.reduce((n, p) => n + Number(p.rowsRead ?? 0), 0);
        const dqErrors = procs.reduce((n, p) => n + Number(p.dqErrors ?? 0), 0);
        return json({ items, total: items.length, failed: items.filter((a) => !a.success).length, dqErrors, dqErrorRate: rowsRead ? dqErrors / rowsRead : null });
      }
    }
    if (path.startsWith("runs/")) {
      const p = runs.get(path.slice(5));
      if (!p) return json({ detail: "no run" }, 404);
      return json({
        runId: p.runId,
        state: p.status === "SUCCESS" ? "COMPLETED" : p.status,
        job: { namespace: NS, name: String(p.jobId).split(":").slice(2).join(":") },
        startedAt: p.startedAt,
        endedAt: p.endedAt,
        durationSeconds: p.durationSeconds,
        parentRunId: p._batch,
        rootRunId: p._batch,
        errorMessage: p.errorMessage,
        inputs: [{ namespace: "postgres://db:5432", name: "staging.orders", rowCount: p.rowsRead, bytes: 123456, fileCount: null }],
        outputs: [{ namespace: "postgres://db:5432", name: "warehouse.orders", rowCount: p.rowsWritten, bytes: 654321, fileCount: null }],
        facets: { airflow: { taskInstance: { try_number: p.tries, log_url: p.logUrl } }, errorMessage: p.errorMessage ? { message: p.errorMessage, programmingLanguage: "python", stackTrace: "Traceback (most recent call last):\n  File \"reconcile.py\", line 42, in run\n    raise ValueError(...)" } : undefined },
        jobId: p.jobId,
        batchId: p._batch,
        stackTrace: p.errorMessage ? "Traceback (most recent call last):\n  File \"reconcile.py\", line 42, in run\n    raise ValueError(...)" : null,
        sql: "SELECT order_id, amount\nFROM staging.orders\nWHERE amount > 0",
        logUrl: p.logUrl,
        tryNumber: p.tries,
      });
    }
    if (path === "runs") {
      const jobId = q.get("jobNodeId") ?? "";
      const r = rng(jobId.length);
      const items = Array.from({ length: 8 }, (_, i) => {
        const start = Date.now() - (i + 1) * 86_400_000;
        const d = 60 + Math.floor(r() * 600);
        return {
          runId: uuid(r),
          state: r() < 0.85 ? "COMPLETED" : "FAILED",
          job: { namespace: NS, name: jobId.split(":").slice(2).join(":") },
          startedAt: new Date(start).toISOString(),
          endedAt: new Date(start + d * 1000).toISOString(),
          durationSeconds: d,
          parentRunId: null,
          rootRunId: null,
          errorMessage: null,
          inputs: [{ namespace: "postgres://db:5432", name: "staging.orders", rowCount: Math.floor(r() * 1e6), bytes: null, fileCount: null }],
          outputs: [{ namespace: "postgres://db:5432", name: "warehouse.orders", rowCount: Math.floor(r() * 1e6), bytes: null, fileCount: null }],
        };
      });
      return json({ items, totalCount: items.length });
    }
    if (path.startsWith("datasets/")) {
      return json({
        id: path.slice(9),
        facets: {
          columnLineage: {
            fields: {
              order_id: { inputFields: [{ namespace: "postgres://db:5432", name: "staging.orders", field: "order_id", transformations: [{ type: "DIRECT", subtype: "IDENTITY" }] }] },
              amount: { inputFields: [{ namespace: "postgres://db:5432", name: "staging.orders", field: "amount", transformations: [{ type: "DIRECT", subtype: "TRANSFORMATION" }] }] },
            },
          },
        },
      });
    }
    return json({ detail: `mock API: no route for ${path}` }, 404);
  };
}
