import type { RunState } from "../types";
import { stateLabel, stateStyle } from "../lib/state";

export function StateBadge({ state }: { state: RunState | undefined }) {
  const colours = stateStyle(state);
  return (
    <span
      data-testid="flowlytics-state-badge"
      style={{
        display: "inline-block",
        padding: "1px 8px",
        borderRadius: "9999px",
        fontSize: "11px",
        fontWeight: 600,
        letterSpacing: "0.03em",
        whiteSpace: "nowrap",
        background: colours.background,
        color: colours.color,
      }}
    >
      {stateLabel(state)}
    </span>
  );
}
