import { afterEach, describe, expect, it, vi } from "vitest";
import { age, deleteChannel, exportUrl, saveOwnerRoutes, testChannel, updateChannel, updateIncident } from "../src/api/alerts";

describe("alerts api", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("writes ages in the largest fitting unit", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(age("2026-12-01T11:59:30Z", now)).toBe("30 s");
    expect(age("2026-12-01T11:00:00Z", now)).toBe("60 min");
    expect(age("2026-12-01T06:00:00Z", now)).toBe("6 h");
    expect(age("2026-11-28T12:00:00Z", now)).toBe("3 d");
  });

  it("exports under the incident's path", () => {
    expect(exportUrl(7, "markdown")).toMatch(/flowlytics\/api\/v1\/incidents\/7\/export\?format=markdown$/);
  });

  it("sends the change as JSON and surfaces the server's detail on an error", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: URL, init: RequestInit) => {
        calls.push({ url: String(url), init });
        return new Response(JSON.stringify({ detail: "the incident is resolved already" }), { status: 422 });
      }),
    );
    await expect(updateIncident(3, { state: "ACKNOWLEDGED" })).rejects.toThrow("the incident is resolved already");
    expect(calls[0].init.method).toBe("PATCH");
    expect(calls[0].url).toMatch(/incidents\/3$/);
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ state: "ACKNOWLEDGED" });
  });

  it("calls the admin routes with their methods; a 204 delete resolves, a 403 names why", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const answers = [
      new Response(null, { status: 204 }),
      new Response(JSON.stringify({ channelId: 5, delivered: false, detail: "could not connect" }), { status: 200 }),
      new Response(JSON.stringify({ detail: "These credentials may not edit metadata" }), { status: 403 }),
      new Response(JSON.stringify({ routes: { "team:a": 5 } }), { status: 200 }),
    ];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: URL, init: RequestInit) => {
        calls.push({ url: String(url), init });
        return answers.shift() as Response;
      }),
    );
    await expect(deleteChannel(5)).resolves.toBeUndefined();
    await expect(testChannel(5)).resolves.toEqual({ channelId: 5, delivered: false, detail: "could not connect" });
    await expect(updateChannel(5, { secret: null })).rejects.toThrow("may not edit");
    await expect(saveOwnerRoutes({ "team:a": 5 })).resolves.toEqual({ routes: { "team:a": 5 } });
    expect(calls.map((c) => `${c.init.method} ${c.url.replace(/^.*api\/v1\//, "")}`)).toEqual([
      "DELETE alerts/channels/5",
      "POST alerts/channels/5/test",
      "PATCH alerts/channels/5",
      "PUT alerts/owner-routes",
    ]);
    expect(JSON.parse(String(calls[2].init.body))).toEqual({ secret: null });
  });
});
