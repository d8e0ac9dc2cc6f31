import type { CSSProperties } from "react";
import { healthStyle } from "./format";
import type { Health } from "./types";

const pill: CSSProperties = {
  display: "inline-block",
  padding: "1px 8px",
  borderRadius: "9999px",
  fontSize: "11px",
  fontWeight: 700,
  letterSpacing: "0.03em",
  whiteSpace: "nowrap",
};

/** GREEN / YELLOW / RED as a coloured pill (text too: colour is never the only signal). */
export function HealthBadge({ health, large = false }: { health: Health | null; large?: boolean }) {
  const style = healthStyle(health);
  return (
    <span
      data-testid="flowlytics-health-badge"
      data-health={health ?? "UNKNOWN"}
      title={`${style.label}: ${style.meaning}`}
      style={{
        ...pill,
        ...(large ? { fontSize: "14px", padding: "3px 12px" } : {}),
        background: style.background,
        color: style.color,
      }}
    >
      {health ?? "UNKNOWN"}
    </span>
  );
}

/** A small health-coloured dot, for dense lists. */
export function HealthDot({ health }: { health: Health | null }) {
  const style = healthStyle(health);
  return (
    <span
      aria-label={`health ${health ?? "unknown"}`}
      title={`${health ?? "UNKNOWN"}: ${style.meaning}`}
      data-health={health ?? "UNKNOWN"}
      style={{
        display: "inline-block",
        width: "10px",
        height: "10px",
        borderRadius: "50%",
        background: style.background,
        flex: "none",
      }}
    />
  );
}
