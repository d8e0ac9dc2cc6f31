import { describe, expect, it } from "vitest";
import {
  EMPTY,
  elapsedSeconds,
  formatDuration,
  formatRange,
  formatTimestamp,
  runDurationSeconds,
  truncate,
} from "../src/lib/format";
import { jobMatchesDag } from "../src/lib/filters";

describe("formatDuration", () => {
  it("formats as HH:MM:SS", () => {
    expect(formatDuration(0)).toBe("00:00:00");
    expect(formatDuration(5)).toBe("00:00:05");
    expect(formatDuration(65)).toBe("00:01:05");
    expect(formatDuration(3600)).toBe("01:00:00");
    expect(formatDuration(3 * 3600 + 25 * 60 + 9)).toBe("03:25:09");
  });

  it("does not wrap hours at 24", () => {
    expect(formatDuration(27 * 3600 + 3 * 60 + 1)).toBe("27:03:01");
    expect(formatDuration(100 * 3600)).toBe("100:00:00");
  });

  it("rounds fractional seconds", () => {
    expect(formatDuration(1.4)).toBe("00:00:01");
    expect(formatDuration(59.6)).toBe("00:01:00");
  });

  it("returns a placeholder for missing or invalid input", () => {
    expect(formatDuration(null)).toBe(EMPTY);
    expect(formatDuration(undefined)).toBe(EMPTY);
    expect(formatDuration(Number.NaN)).toBe(EMPTY);
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe(EMPTY);
    expect(formatDuration(-1)).toBe(EMPTY);
  });
});

describe("formatTimestamp", () => {
  it("formats ISO timestamps (UTC)", () => {
    expect(formatTimestamp("2024-05-06T07:08:09Z", { utc: true })).toBe("2024-05-06 07:08:09");
    expect(formatTimestamp("2024-05-06T09:08:09+02:00", { utc: true })).toBe("2024-05-06 07:08:09");
  });

  it("uses local time by default", () => {
    const iso = "2024-05-06T07:08:09Z";
    const d = new Date(iso);
    expect(formatTimestamp(iso)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(formatTimestamp(iso).slice(11, 13)).toBe(String(d.getHours()).padStart(2, "0"));
  });

  it("handles missing and unparseable values", () => {
    expect(formatTimestamp(null)).toBe(EMPTY);
    expect(formatTimestamp("")).toBe(EMPTY);
    expect(formatTimestamp("not a date")).toBe("not a date");
  });
});

describe("runDurationSeconds / elapsedSeconds", () => {
  it("prefers the server's durationSeconds", () => {
    expect(
      runDurationSeconds({ durationSeconds: 12, startedAt: "2024-01-01T00:00:00Z", endedAt: "2024-01-01T01:00:00Z" }),
    ).toBe(12);
  });

  it("falls back to endedAt - startedAt", () => {
    expect(
      runDurationSeconds({ durationSeconds: null, startedAt: "2024-01-01T00:00:00Z", endedAt: "2024-01-01T00:01:30Z" }),
    ).toBe(90);
  });

  it("is null when it cannot be known", () => {
    expect(runDurationSeconds({ durationSeconds: null, startedAt: "2024-01-01T00:00:00Z", endedAt: null })).toBeNull();
    expect(
      runDurationSeconds({ durationSeconds: null, startedAt: "2024-01-01T00:01:00Z", endedAt: "2024-01-01T00:00:00Z" }),
    ).toBeNull();
  });

  it("computes elapsed time for running runs", () => {
    const now = Date.parse("2024-01-01T00:00:42Z");
    expect(elapsedSeconds("2024-01-01T00:00:00Z", now)).toBe(42);
    expect(elapsedSeconds(null, now)).toBeNull();
    expect(elapsedSeconds("2024-01-01T00:01:00Z", now)).toBeNull();
  });
});

describe("truncate", () => {
  it("keeps short text", () => {
    expect(truncate("boom", 10)).toBe("boom");
    expect(truncate(null)).toBe("");
  });

  it("cuts long text with an ellipsis, never splitting astral characters", () => {
    expect(truncate("abcdefghij", 5)).toBe("abcd…");
    expect(Array.from(truncate("😀".repeat(10), 5))).toHaveLength(5);
    expect(truncate("😀".repeat(10), 5)).toBe("😀😀😀😀…");
  });
});

describe("formatRange", () => {
  it("formats pagination ranges with an en dash", () => {
    expect(formatRange(0, 50, 123)).toBe("1–50 of 123");
    expect(formatRange(100, 23, 123)).toBe("101–123 of 123");
    expect(formatRange(0, 0, 0)).toBe("0 of 0");
  });
});

describe("jobMatchesDag", () => {
  it("matches the DAG job and its task jobs only", () => {
    expect(jobMatchesDag("etl", "etl")).toBe(true);
    expect(jobMatchesDag("etl.load", "etl")).toBe(true);
    expect(jobMatchesDag("etl_v2", "etl")).toBe(false);
    expect(jobMatchesDag("etl_v2.load", "etl")).toBe(false);
    expect(jobMatchesDag("other", "etl")).toBe(false);
  });

  it("matches everything without a dagId", () => {
    expect(jobMatchesDag("anything", undefined)).toBe(true);
    expect(jobMatchesDag("anything", "")).toBe(true);
  });
});
