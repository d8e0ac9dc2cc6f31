import type { CSSProperties } from "react";

/**
 * Inline styles shared by the Flowlytics views.
 *
 * The plugin deliberately does not depend on the host's Chakra UI. To look
 * right in both Airflow themes, text inherits the host colour and borders /
 * tints are derived from `currentColor`; native form controls use the CSS
 * system colours (Canvas/CanvasText), which follow the page's color-scheme.
 */

/** `currentColor` at the given opacity (0-100). */
export function tint(percent: number): string {
  return `color-mix(in srgb, currentColor ${percent}%, transparent)`;
}

export const page: CSSProperties = {
  padding: "16px 20px",
  color: "inherit",
  background: "transparent",
  fontFamily: "inherit",
  fontSize: "14px",
  lineHeight: 1.45,
};

export const title: CSSProperties = {
  fontSize: "20px",
  fontWeight: 600,
  margin: "0 0 12px 0",
};

export const toolbar: CSSProperties = {
  display: "flex",
  flexWrap: "wrap",
  alignItems: "center",
  gap: "12px",
  marginBottom: "12px",
};

export const muted: CSSProperties = { opacity: 0.7 };

export const button: CSSProperties = {
  font: "inherit",
  color: "inherit",
  background: "transparent",
  border: `1px solid ${tint(35)}`,
  borderRadius: "6px",
  padding: "4px 12px",
  cursor: "pointer",
};

export const buttonDisabled: CSSProperties = { ...button, opacity: 0.45, cursor: "default" };

export const select: CSSProperties = {
  font: "inherit",
  color: "CanvasText",
  background: "Canvas",
  border: `1px solid ${tint(35)}`,
  borderRadius: "6px",
  padding: "4px 8px",
};

export const tableWrap: CSSProperties = { overflowX: "auto" };

export const table: CSSProperties = {
  width: "100%",
  borderCollapse: "collapse",
  fontSize: "13px",
};

export const th: CSSProperties = {
  textAlign: "left",
  fontWeight: 600,
  padding: "6px 10px",
  borderBottom: `2px solid ${tint(25)}`,
  whiteSpace: "nowrap",
};

export const td: CSSProperties = {
  padding: "6px 10px",
  borderBottom: `1px solid ${tint(12)}`,
  verticalAlign: "top",
};

export const tdNowrap: CSSProperties = { ...td, whiteSpace: "nowrap", fontVariantNumeric: "tabular-nums" };

export const namespace: CSSProperties = { fontSize: "11px", opacity: 0.65, wordBreak: "break-all" };

export const jobName: CSSProperties = { fontWeight: 500, wordBreak: "break-all" };

export const notice: CSSProperties = {
  padding: "12px 14px",
  borderRadius: "6px",
  border: `1px solid ${tint(20)}`,
  background: tint(4),
  margin: "8px 0",
};

export const errorBox: CSSProperties = {
  ...notice,
  border: "1px solid #b91c1c",
  background: "color-mix(in srgb, #b91c1c 12%, transparent)",
};

export const code: CSSProperties = {
  fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
  fontSize: "12px",
  padding: "1px 4px",
  borderRadius: "4px",
  background: tint(10),
  wordBreak: "break-all",
};

/** A link that reads as one on the host page (Airflow's CSS removes the underline). */
export const link: CSSProperties = {
  color: "inherit",
  textDecoration: "underline",
  textUnderlineOffset: "2px",
  cursor: "pointer",
};
