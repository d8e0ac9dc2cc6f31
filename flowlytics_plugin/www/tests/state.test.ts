import { describe, expect, it } from "vitest";
import { STATE_STYLES, UNKNOWN_STATE_STYLE, isKnownState, stateLabel, stateStyle } from "../src/lib/state";
import { RUN_STATES } from "../src/types";

describe("stateStyle", () => {
  it("maps each known state to its colour family", () => {
    expect(stateStyle("RUNNING").background).toBe("#1d4ed8"); // blue
    expect(stateStyle("COMPLETED").background).toBe("#15803d"); // green
    expect(stateStyle("FAILED").background).toBe("#b91c1c"); // red
    expect(stateStyle("ABORTED").background).toBe("#c2410c"); // orange
  });

  it("is case-insensitive", () => {
    expect(stateStyle("failed")).toEqual(STATE_STYLES.FAILED);
  });

  it("falls back to grey for null / unknown states", () => {
    expect(stateStyle(null)).toEqual(UNKNOWN_STATE_STYLE);
    expect(stateStyle(undefined)).toEqual(UNKNOWN_STATE_STYLE);
    expect(stateStyle("START")).toEqual(UNKNOWN_STATE_STYLE);
  });

  it("uses distinct colours for every known state", () => {
    const colours = new Set([...RUN_STATES.map((s) => STATE_STYLES[s].background), UNKNOWN_STATE_STYLE.background]);
    expect(colours.size).toBe(RUN_STATES.length + 1);
  });

  it("keeps badge text readable (WCAG AA contrast >= 4.5)", () => {
    const lum = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) =>
        c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4,
      );
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    for (const style of [...Object.values(STATE_STYLES), UNKNOWN_STATE_STYLE]) {
      const [hi, lo] = [lum(style.color), lum(style.background)].sort((a, b) => b - a);
      expect((hi + 0.05) / (lo + 0.05)).toBeGreaterThanOrEqual(4.5);
    }
  });
});

describe("stateLabel / isKnownState", () => {
  it("labels states", () => {
    expect(stateLabel("COMPLETED")).toBe("COMPLETED");
    expect(stateLabel("running")).toBe("RUNNING");
    expect(stateLabel(null)).toBe("UNKNOWN");
    expect(stateLabel("  ")).toBe("UNKNOWN");
  });

  it("recognises the OpenLineage terminal/running states", () => {
    for (const s of RUN_STATES) expect(isKnownState(s)).toBe(true);
    expect(isKnownState("OTHER")).toBe(false);
    expect(isKnownState(null)).toBe(false);
  });
});
