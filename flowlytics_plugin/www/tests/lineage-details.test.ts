import { describe, expect, it } from "vitest";
import { facetJson, facetNames, runRows, schemaFields } from "../src/lineage/details";
import { ioRows, splitDatasetId } from "../src/lineage/taskIo";
import type { DetailRun, NodeDetails } from "../src/lineage/types";

function run(over: Partial<DetailRun>): DetailRun {
  return {
    runId: "r",
    state: "COMPLETED",
    job: { namespace: "airflow", name: "dag.task" },
    startedAt: "2024-01-01T00:00:00Z",
    endedAt: "2024-01-01T00:01:00Z",
    durationSeconds: 60,
    parentRunId: null,
    rootRunId: null,
    errorMessage: null,
    inputs: [],
    outputs: [],
    ...over,
  };
}

function job(over: Partial<NodeDetails>): NodeDetails {
  return {
    id: "job:airflow:dag.task",
    type: "JOB",
    namespace: "airflow",
    name: "dag.task",
    facets: {},
    description: null,
    owners: [],
    tags: [],
    aliases: [],
    upstreamIds: [],
    downstreamIds: [],
    jobType: null,
    integration: null,
    dagId: null,
    latestRuns: [],
    ...over,
  };
}

describe("schemaFields", () => {
  it("flattens nested fields of the schema facet", () => {
    const facets = {
      schema: {
        fields: [
          { name: "id", type: "int", description: "key" },
          { name: "address", type: "struct", fields: [{ name: "city", type: "string" }] },
          { type: "nameless" },
        ],
      },
    };
    expect(schemaFields(facets)).toEqual([
      { name: "id", type: "int", description: "key" },
      { name: "address", type: "struct", description: null },
      { name: "address.city", type: "string", description: null },
    ]);
    expect(schemaFields({})).toEqual([]);
    expect(schemaFields({ schema: { fields: "nope" } })).toEqual([]);
  });
});

describe("runRows / facets", () => {
  it("counts rows per run from a job's or a dataset's point of view", () => {
    const r = run({
      inputs: [{ namespace: "pg", name: "a", rowCount: 10, bytes: null, fileCount: null }],
      outputs: [
        { namespace: "pg", name: "b", rowCount: 7, bytes: null, fileCount: null },
        { namespace: "pg", name: "c", rowCount: 3, bytes: null, fileCount: null },
      ],
    });
    expect(runRows(r, { type: "JOB", namespace: "airflow", name: "dag.task" })).toEqual({ read: 10, written: 10 });
    expect(runRows(r, { type: "DATASET", namespace: "pg", name: "c" })).toEqual({ read: null, written: 3 });
    expect(runRows(run({}), { type: "JOB", namespace: "", name: "" })).toEqual({ read: null, written: null });
  });

  it("lists facets and caps their JSON", () => {
    expect(facetNames({ b: 1, a: 2 })).toEqual(["a", "b"]);
    expect(facetJson({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(facetJson("x".repeat(100), 10)).toContain("more characters");
  });
});

describe("task inputs and outputs", () => {
  it("takes the row counts from the newest finished run that reported them", () => {
    const rows = ioRows(
      job({
        upstreamIds: ["dataset:pg://h:5432:db.in"],
        downstreamIds: ["dataset:pg://h:5432:db.out", "dataset:s3://b:never"],
        latestRuns: [
          run({ runId: "running", state: "RUNNING", startedAt: "2024-01-03T00:00:00Z", outputs: [{ namespace: "pg://h:5432", name: "db.out", rowCount: null, bytes: null, fileCount: null }] }),
          run({
            runId: "done",
            startedAt: "2024-01-02T00:00:00Z",
            inputs: [{ namespace: "pg://h:5432", name: "db.in", rowCount: 100, bytes: 2048, fileCount: null }],
            outputs: [
              { namespace: "pg://h:5432", name: "db.out", rowCount: 42, bytes: null, fileCount: 2 },
              { namespace: "pg://h:5432", name: "db.extra", rowCount: 1, bytes: null, fileCount: null },
            ],
          }),
        ],
      }),
    );
    expect(rows.map((r) => [r.direction, r.id, r.rowCount, r.run?.runId ?? null])).toEqual([
      ["input", "dataset:pg://h:5432:db.in", 100, "done"],
      ["output", "dataset:pg://h:5432:db.out", 42, "done"],
      ["output", "dataset:s3://b:never", null, null],
      ["output", "dataset:pg://h:5432:db.extra", 1, "done"],
    ]);
    expect(rows[2]).toMatchObject({ namespace: "s3://b", name: "never" });
    expect(rows[1].fileCount).toBe(2);
  });

  it("splits dataset ids for display", () => {
    expect(splitDatasetId("dataset:postgres://db:5432:public.orders")).toEqual({ namespace: "postgres://db:5432", name: "public.orders" });
    expect(splitDatasetId("dataset:file:/tmp/x.csv")).toEqual({ namespace: "file", name: "/tmp/x.csv" });
    expect(splitDatasetId("dataset:s3://bucket:<img src=x>")).toEqual({ namespace: "s3://bucket", name: "<img src=x>" });
  });
});
