import { describe, expect, it } from "vitest";
import { VIEW_GLOBAL_NAMES, viewFromModuleUrl } from "../src/lib/view";
import {
  DEFAULT_DEPTH,
  clampDepth,
  isoToLocalInput,
  lineagePageHref,
  localInputToIso,
  readLineageUrl,
  writeLineageUrl,
  type LineageUrlState,
} from "../src/lineage/urlState";

const NODE = "dataset:postgres://db:5432:public.orders";

describe("viewFromModuleUrl", () => {
  it("reads ?view= of the bundle URL, defaulting to the runs page", () => {
    expect(viewFromModuleUrl("http://af/flowlytics/static/flowlytics.js?view=lineage")).toBe("lineage");
    expect(viewFromModuleUrl("http://af/flowlytics/static/flowlytics.js?view=dag-lineage")).toBe("dag-lineage");
    expect(viewFromModuleUrl("http://af/flowlytics/static/flowlytics.js?view=task-io")).toBe("task-io");
    expect(viewFromModuleUrl("http://af/flowlytics/static/flowlytics.js?view=runs")).toBe("runs");
    expect(viewFromModuleUrl("http://af/flowlytics/static/flowlytics.js?view=batch-health")).toBe("batch-health");
    expect(viewFromModuleUrl("http://af/flowlytics/static/flowlytics.js?view=batch-run")).toBe("batch-run");
    expect(viewFromModuleUrl("http://af/flowlytics/static/flowlytics.js?view=batch-widget")).toBe("batch-widget");
    expect(viewFromModuleUrl("http://af/flowlytics/static/flowlytics.js")).toBe("runs");
    expect(viewFromModuleUrl("http://af/x.js?view=<script>")).toBe("runs");
    expect(viewFromModuleUrl("not a url")).toBe("runs");
    expect(viewFromModuleUrl(undefined)).toBe("runs");
  });

  it("names the globals exactly as the plugin's react_apps entries", () => {
    expect(VIEW_GLOBAL_NAMES).toEqual({
      runs: "Flowlytics",
      lineage: "Lineage",
      "dag-lineage": "Lineage (DAG)",
      "task-io": "Inputs & outputs",
      "batch-health": "Batch Health",
      "batch-run": "Batch health (run)",
      "batch-widget": "Latest batches",
      "workflow-drafts": "Workflow drafts",
      alerts: "Alerts",
      analytics: "Analytics",
      "dag-analytics": "Analytics (DAG)",
    });
  });
});

describe("lineage deep links", () => {
  const state: LineageUrlState = {
    node: NODE,
    root: NODE,
    direction: "both",
    depth: DEFAULT_DEPTH,
    level: "job",
    collapse: true,
    expand: [],
    asOf: null,
  };

  it("writes only what differs from the defaults and keeps the host's parameters", () => {
    expect(writeLineageUrl("", state)).toBe(`?node=${encodeURIComponent(NODE).replace(/%20/g, "+")}`);
    const full = writeLineageUrl("?foo=1&node=old", {
      ...state,
      root: "job:airflow://x:dag.t",
      direction: "upstream",
      depth: 7,
      level: "column",
      collapse: false,
      expand: ["job:airflow://x:dag"],
    });
    const params = new URLSearchParams(full);
    expect(params.get("foo")).toBe("1");
    expect(params.get("node")).toBe(NODE);
    expect(params.get("root")).toBe("job:airflow://x:dag.t");
    expect(params.get("direction")).toBe("upstream");
    expect(params.get("depth")).toBe("7");
    expect(params.get("level")).toBe("column");
    expect(params.get("collapse")).toBe("false");
    expect(params.getAll("expand")).toEqual(["job:airflow://x:dag"]);
    expect(writeLineageUrl("", { ...state, node: null, root: null })).toBe("");
  });

  it("round-trips through the URL", () => {
    const custom: LineageUrlState = {
      ...state,
      root: "job:a:b",
      direction: "downstream",
      depth: 3,
      expand: ["g1", "g2"],
      asOf: "2024-05-01T12:00:00.000Z",
    };
    expect(readLineageUrl(writeLineageUrl("", custom))).toEqual(custom);
    expect(readLineageUrl(writeLineageUrl("", state))).toEqual(state);
  });

  it("uses the selected node as root when no root is given, and sanitises bad values", () => {
    const read = readLineageUrl(`?node=${encodeURIComponent(NODE)}&direction=sideways&depth=999&level=x`);
    expect(read.root).toBe(NODE);
    expect(read.direction).toBe("both");
    expect(read.depth).toBe(20);
    expect(read.level).toBe("job");
    expect(readLineageUrl("?depth=abc").depth).toBe(DEFAULT_DEPTH);
    expect(readLineageUrl("").node).toBeNull();
    expect(readLineageUrl("?asOf=yesterday").asOf).toBeNull();
    expect(clampDepth(0)).toBe(1);
    expect(clampDepth(2.4)).toBe(2);
  });

  it("converts the as-of input between local time and ISO UTC", () => {
    const iso = localInputToIso("2024-05-01T12:30");
    expect(iso).toBe(new Date(2024, 4, 1, 12, 30).toISOString());
    expect(isoToLocalInput(iso)).toBe("2024-05-01T12:30");
    expect(localInputToIso("")).toBeNull();
    expect(isoToLocalInput(null)).toBe("");
  });

  it("links to the Lineage page relative to the Airflow base URL", () => {
    expect(lineagePageHref(NODE, "https://af.example/airflow/")).toBe(
      `https://af.example/airflow/plugin/flowlytics_lineage?node=${encodeURIComponent(NODE)}`,
    );
  });
});
