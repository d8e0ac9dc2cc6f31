import { describe, expect, it } from "vitest";
import type { CriticalPath, GanttTask } from "../src/api/analytics";
import { barTooltip, ganttDatasets, ganttModel, runOptionLabel, GANTT_LABELS } from "../src/analytics/gantt";

const T0 = Date.parse("2026-11-20T10:00:00Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const node = (task: string) => `job:airflow:sales.${task}`;

function task(name: string, wait: number | null, tries: [number | null, number | null, string][]): GanttTask {
  return {
    jobNodeId: node(name),
    taskId: name,
    state: tries[tries.length - 1][2],
    waitSeconds: wait,
    attempts: tries.map(([start, end, state], i) => ({
      runId: `${name}-${i}`,
      state,
      startedAt: start === null ? null : at(start),
      endedAt: end === null ? null : at(end),
    })),
  };
}

/** A diamond: extract 0–300; transform_a 360–600; transform_b 330–1200 (critical); load 1260–1500. */
function diamond(): CriticalPath {
  return {
    runId: "r1",
    totalSeconds: 1500,
    dagRunStartedAt: at(0),
    dagRunEndedAt: at(1530),
    state: "COMPLETED",
    steps: [
      { jobNodeId: node("extract"), runId: "extract-0", startedAt: at(0), endedAt: at(300), waitSeconds: 0, runSeconds: 300, tries: 1 },
      { jobNodeId: node("transform_b"), runId: "transform_b-0", startedAt: at(330), endedAt: at(1200), waitSeconds: 30, runSeconds: 870, tries: 1 },
      { jobNodeId: node("load"), runId: "load-0", startedAt: at(1260), endedAt: at(1500), waitSeconds: 60, runSeconds: 240, tries: 1 },
    ],
    others: [{ jobNodeId: node("transform_a"), slackSeconds: 660 }],
    tasks: [
      task("extract", 0, [[0, 300, "COMPLETED"]]),
      task("transform_b", 30, [[330, 1200, "COMPLETED"]]),
      task("transform_a", 60, [[360, 600, "COMPLETED"]]),
      task("load", 60, [[1260, 1500, "COMPLETED"]]),
    ],
  };
}

describe("ganttModel", () => {
  it("one row per task in the answer's order, on the run's time axis", () => {
    const model = ganttModel(diamond(), at(99_999));
    expect(model.rows.map((r) => r.task)).toEqual(["extract", "transform_b", "transform_a", "load"]);
    expect(model.origin).toBe(at(0));
    expect(model.horizon).toBe(1530); // the run's end, not "now"
    const load = model.rows.find((r) => r.task === "load");
    expect(load).toMatchObject({ start: 1260, end: 1500, runSeconds: 240, waitSeconds: 60, tries: 1 });
  });

  it("highlights the critical path and gives the others their slack", () => {
    const model = ganttModel(diamond(), at(0));
    expect(model.criticalPath).toEqual(["extract", "transform_b", "load"]);
    expect(model.rows.filter((r) => r.onCriticalPath).map((r) => r.task)).toEqual(["extract", "transform_b", "load"]);
    const a = model.rows.find((r) => r.task === "transform_a");
    expect(a).toMatchObject({ onCriticalPath: false, slackSeconds: 660 });
    const kinds = Object.fromEntries(model.bars.filter((b) => b.kind !== "wait").map((b) => [b.task, b.kind]));
    expect(kinds).toEqual({ extract: "critical", transform_b: "critical", transform_a: "other", load: "critical" });
  });

  it("draws the wait before each start as its own bar, ending where the task starts", () => {
    const waits = ganttModel(diamond(), at(0)).bars.filter((b) => b.kind === "wait");
    expect(waits.map((b) => [b.task, b.start, b.end])).toEqual([
      ["transform_b", 300, 330],
      ["transform_a", 300, 360],
      ["load", 1200, 1260],
    ]); // extract waited 0 s: no bar
  });

  it("a retried task shows each try; a task without an end is drawn open up to now while the run goes on", () => {
    const path: CriticalPath = {
      ...diamond(),
      dagRunEndedAt: null,
      state: "RUNNING",
      steps: diamond().steps.slice(0, 2).map((s, i) => (i === 1 ? { ...s, tries: 2 } : s)),
      others: [
        { jobNodeId: node("transform_a"), slackSeconds: 600 },
        { jobNodeId: node("load"), slackSeconds: null },
      ],
      tasks: [
        task("extract", 0, [[0, 300, "COMPLETED"]]),
        task("transform_b", 30, [
          [330, 500, "FAILED"],
          [560, 1200, "COMPLETED"],
        ]),
        task("transform_a", 60, [[360, 600, "COMPLETED"]]),
        task("load", 60, [[1260, null, "RUNNING"]]),
      ],
    };
    const model = ganttModel(path, at(1400));
    expect(model.horizon).toBe(1400);
    const b = model.bars.filter((bar) => bar.task === "transform_b" && bar.kind !== "wait");
    expect(b.map((bar) => [bar.attempt, bar.attempts, bar.state, bar.start, bar.end])).toEqual([
      [1, 2, "FAILED", 330, 500],
      [2, 2, "COMPLETED", 560, 1200],
    ]);
    const bRow = model.rows.find((r) => r.task === "transform_b");
    expect(bRow).toMatchObject({ start: 330, end: 1200, runSeconds: 170 + 640, tries: 2 });
    const [open] = model.bars.filter((bar) => bar.task === "load" && bar.kind !== "wait");
    expect(open).toMatchObject({ kind: "open", ended: false, start: 1260, end: 1400 });
    expect(model.rows.find((r) => r.task === "load")).toMatchObject({ end: null, runSeconds: null, slackSeconds: null });
    expect(barTooltip(open, model.rows.find((r) => r.task === "load"))).toEqual([
      "load: RUNNING",
      "from +21 min 0 s (no end yet)",
      "slack unknown",
    ]);
  });

  it("a run without a start counts from its first task; an empty run has no bars", () => {
    const model = ganttModel({ ...diamond(), dagRunStartedAt: null, dagRunEndedAt: null }, at(1500));
    expect(model.origin).toBe(at(0));
    expect(model.horizon).toBe(1500);
    const empty = ganttModel({ ...diamond(), steps: [], others: [], tasks: [], totalSeconds: 0 }, at(10));
    expect([empty.rows.length, empty.bars.length, empty.criticalPath]).toEqual([0, 0, []]);
  });
});

describe("ganttDatasets and tooltips", () => {
  it("one dataset per kind present, each bar on its task's row, overlaid (not grouped)", () => {
    const sets = ganttDatasets(ganttModel(diamond(), at(0)));
    expect(sets.map((d) => d.label)).toEqual([GANTT_LABELS.wait, GANTT_LABELS.critical, GANTT_LABELS.other]);
    const critical = sets.find((d) => d.kind === "critical");
    expect(critical?.data.map((p) => [p.y, p.x])).toEqual([
      ["extract", [0, 300]],
      ["transform_b", [330, 1200]],
      ["load", [1260, 1500]],
    ]);
    expect(sets.every((d) => d.grouped === false)).toBe(true);
  });

  it("the tooltip says the slack off the path and the path on it", () => {
    const model = ganttModel(diamond(), at(0));
    const rows = new Map(model.rows.map((r) => [r.task, r]));
    const a = model.bars.find((b) => b.task === "transform_a" && b.kind === "other");
    const load = model.bars.find((b) => b.task === "load" && b.kind === "critical");
    const wait = model.bars.find((b) => b.task === "load" && b.kind === "wait");
    expect(a && barTooltip(a, rows.get("transform_a"))).toEqual([
      "transform_a: COMPLETED",
      "from +6 min 0 s for 4 min 0 s",
      "slack 11 min 0 s",
    ]);
    expect(load && barTooltip(load, rows.get("load"))[2]).toBe("on the critical path");
    expect(wait && barTooltip(wait, rows.get("load"))).toEqual(["load: waited 1 min 0 s before its start"]);
  });

  it("run picker labels say when and how it ended", () => {
    expect(runOptionLabel({ batchId: "x", startedAt: "2026-11-20T10:00:00.123Z", state: "FAILED" })).toBe(
      "2026-11-20 10:00:00 UTC · FAILED",
    );
    expect(runOptionLabel({ batchId: "x", startedAt: null, state: null })).toBe("not started · unknown");
  });
});

describe("GanttFacts", () => {
  it("marks the path's rows and lists the path as text (not colour alone), names escaped", async () => {
    const { renderToStaticMarkup } = await import("react-dom/server");
    const { createElement } = await import("react");
    const { GanttFacts } = await import("../src/analytics/GanttChart");
    const path = diamond();
    const evil = "<img src=x onerror=window.__pwned=1>";
    path.tasks[2] = { ...path.tasks[2], taskId: evil };
    const html = renderToStaticMarkup(createElement(GanttFacts, { model: ganttModel(path, at(0)) }));
    expect(html).not.toContain("<img");
    const critical = [...html.matchAll(/data-task="([^"]+)" data-critical="true"/g)].map((m) => m[1]);
    expect(critical).toEqual(["extract", "transform_b", "load"]);
    expect(html).toContain('data-critical="false"');
    expect([...html.matchAll(/data-testid="flowlytics-gantt-path-step"[^>]*>(?:<!-- -->)?([^<]*?)(?:<!-- -->)?([^<]*)<\/li>/g)].length).toBe(3);
    expect(html).toContain("11 min 0 s"); // transform_a's slack in the table
  });
});
