import { RUN_STATES, type KnownRunState, type RunState } from "../types";

export interface StateStyle {
  /** Badge background. */
  background: string;
  /** Badge text colour (white on all backgrounds; >= 4.5:1 contrast). */
  color: string;
}

/**
 * Badge colours per run state. Solid, self-contained colours so the badge
 * reads the same on Airflow's light and dark themes.
 */
export const STATE_STYLES: Readonly<Record<KnownRunState, StateStyle>> = {
  RUNNING: { background: "#1d4ed8", color: "#ffffff" }, // blue
  COMPLETED: { background: "#15803d", color: "#ffffff" }, // green
  FAILED: { background: "#b91c1c", color: "#ffffff" }, // red
  ABORTED: { background: "#c2410c", color: "#ffffff" }, // orange
};

/**
 * Batch-health process statuses (see DESIGN.md): the run colours where they
 * mean the same (SUCCESS = COMPLETED), grey for not started, pink for skipped
 * (as Airflow shows skipped tasks).
 */
export const PROCESS_STATUS_STYLES: Readonly<Record<"SUCCESS" | "PENDING" | "SKIPPED", StateStyle>> = {
  SUCCESS: STATE_STYLES.COMPLETED,
  PENDING: { background: "#64748b", color: "#ffffff" }, // slate
  SKIPPED: { background: "#be185d", color: "#ffffff" }, // pink
};

export const UNKNOWN_STATE_STYLE: StateStyle = { background: "#4b5563", color: "#ffffff" }; // grey

export function isKnownState(state: RunState | undefined): state is KnownRunState {
  return typeof state === "string" && (RUN_STATES as readonly string[]).includes(state);
}

/**
 * Colours for a run state or a process status; case-insensitive; anything
 * unknown (incl. null) is grey.
 */
export function stateStyle(state: RunState | undefined): StateStyle {
  const upper = typeof state === "string" ? state.toUpperCase() : state;
  if (isKnownState(upper)) return STATE_STYLES[upper];
  if (upper === "SUCCESS" || upper === "PENDING" || upper === "SKIPPED") return PROCESS_STATUS_STYLES[upper];
  return UNKNOWN_STATE_STYLE;
}

/** Text shown in the badge. */
export function stateLabel(state: RunState | undefined): string {
  return typeof state === "string" && state.trim() !== "" ? state.toUpperCase() : "UNKNOWN";
}
