import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, apiUrl, errorDetail, flowlyticsBaseUrl, getJson, requestJson } from "../src/api/client";
import { normalizeRunsResponse } from "../src/api/runs";

describe("apiUrl", () => {
  it("resolves relative to the Airflow base URL (sub-path aware)", () => {
    expect(apiUrl("runs", { limit: 50, offset: 0 }, "https://af.example/airflow/").href).toBe(
      "https://af.example/airflow/flowlytics/api/v1/runs?limit=50&offset=0",
    );
    expect(apiUrl("/runs", {}, "http://localhost:8080/").href).toBe("http://localhost:8080/flowlytics/api/v1/runs");
  });

  it("omits empty parameters and encodes values", () => {
    const url = apiUrl("runs", { state: "", jobNodeId: undefined, since: null, x: "a b&c" }, "http://h/");
    expect(url.search).toBe("?x=a+b%26c");
  });

  it("computes the emitter URL", () => {
    expect(flowlyticsBaseUrl("https://af.example/airflow/")).toBe("https://af.example/airflow/flowlytics/");
  });
});

describe("errorDetail", () => {
  it("reads {detail: string} and FastAPI validation lists", () => {
    expect(errorDetail({ detail: "Forbidden" }, "x")).toBe("Forbidden");
    expect(errorDetail({ detail: [{ msg: "bad limit" }, { msg: "bad offset" }] }, "x")).toBe(
      "bad limit; bad offset",
    );
    expect(errorDetail(undefined, "HTTP 500")).toBe("HTTP 500");
    expect(errorDetail({ detail: "" }, "HTTP 500")).toBe("HTTP 500");
  });
});

describe("getJson", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("sends same-origin credentials and raises ApiError with the server detail", async () => {
    const fetchMock = vi.fn(
      async () => new Response(JSON.stringify({ detail: "Not authenticated" }), { status: 401 }),
    );
    vi.stubGlobal("fetch", fetchMock);
    vi.stubGlobal("document", { baseURI: "http://af.local/base/" });
    const err = await getJson("runs", { limit: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect((err as ApiError).message).toBe("Not authenticated");
    const [url, init] = fetchMock.mock.calls[0] as unknown as [URL, RequestInit];
    expect(String(url)).toBe("http://af.local/base/flowlytics/api/v1/runs?limit=1");
    expect(init.credentials).toBe("same-origin");
  });

  it("falls back to the HTTP status for non-JSON errors", async () => {
    vi.stubGlobal("fetch", async () => new Response("<html>oops</html>", { status: 502, statusText: "Bad Gateway" }));
    vi.stubGlobal("document", { baseURI: "http://af.local/" });
    await expect(getJson("runs")).rejects.toThrow("HTTP 502 Bad Gateway");
  });
});

describe("normalizeRunsResponse", () => {
  it("tolerates missing fields", () => {
    const res = normalizeRunsResponse({ items: [{ runId: "r1", job: { name: "a" } }] });
    expect(res.totalCount).toBe(1);
    expect(res.items[0]).toEqual({
      runId: "r1",
      state: null,
      job: { namespace: "", name: "a" },
      startedAt: null,
      endedAt: null,
      durationSeconds: null,
      parentRunId: null,
      rootRunId: null,
      errorMessage: null,
    });
    expect(normalizeRunsResponse(null)).toEqual({ items: [], totalCount: 0 });
  });
});

describe("requestJson", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("sends a JSON body with its content type and reads the JSON answer", async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ id: 3 }), { status: 201 }));
    vi.stubGlobal("fetch", fetchMock);
    vi.stubGlobal("document", { baseURI: "http://af.local/" });
    await expect(requestJson("POST", "workflows/saved", { body: { name: "a", text: "b" } })).resolves.toEqual({ id: 3 });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [URL, RequestInit];
    expect(String(url)).toBe("http://af.local/flowlytics/api/v1/workflows/saved");
    expect(init.method).toBe("POST");
    expect(init.body).toBe('{"name":"a","text":"b"}');
    expect((init.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
  });

  it("accepts an empty 204 only when asked to", async () => {
    vi.stubGlobal("fetch", async () => new Response(null, { status: 204 }));
    vi.stubGlobal("document", { baseURI: "http://af.local/" });
    await expect(requestJson("DELETE", "workflows/saved/1", { allowEmpty: true })).resolves.toBeUndefined();
    await expect(requestJson("DELETE", "workflows/saved/1")).rejects.toThrow("not JSON");
  });
});
