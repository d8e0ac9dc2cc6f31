import type { CSSProperties, ReactNode } from "react";
import * as s from "../components/styles";
import { StateBadge } from "../components/StateBadge";
import { EMPTY, elapsedSeconds, formatDuration, formatTimestamp, runDurationSeconds } from "../lib/format";
import { formatSla } from "../lineage/graph";
import { formatPercent, formatRows, healthStyle, SLA_STYLES } from "./format";
import { HealthBadge } from "./HealthBadge";
import type { Batch } from "./types";

const grid: CSSProperties = {
  display: "grid",
  gridTemplateColumns: "repeat(auto-fill, minmax(118px, 1fr))",
  gap: "8px",
  margin: "0 0 10px 0",
};
const card: CSSProperties = {
  border: `1px solid ${s.tint(18)}`,
  borderRadius: "6px",
  padding: "6px 10px",
  minWidth: 0,
};
const label: CSSProperties = { fontSize: "11px", opacity: 0.7, textTransform: "uppercase", letterSpacing: "0.04em" };
const value: CSSProperties = { fontSize: "20px", fontWeight: 600, fontVariantNumeric: "tabular-nums", lineHeight: 1.3 };
const small: CSSProperties = { ...value, fontSize: "13px", fontWeight: 500 };

function Card({
  metric,
  title,
  children,
  accent,
  hint,
  compact = false,
}: {
  metric: string;
  title: string;
  children: ReactNode;
  accent?: string;
  hint?: string;
  compact?: boolean;
}) {
  return (
    <div
      data-testid="flowlytics-metric"
      data-metric={metric}
      title={hint}
      style={{ ...card, ...(accent ? { borderLeft: `4px solid ${accent}` } : {}) }}
    >
      <div style={label}>{title}</div>
      <div data-testid="flowlytics-metric-value" style={compact ? small : value}>
        {children}
      </div>
    </div>
  );
}

/**
 * The batch's metrics: health, counts per status, success rate, times, SLA and
 * data quality. Counts in a status colour when non-zero, so that a failure
 * stands out at a glance.
 */
export function MetricsCards({ batch, now }: { batch: Batch; now: number }) {
  const health = healthStyle(batch.health);
  const duration = runDurationSeconds(batch);
  const running = batch.endedAt === null && batch.state === "RUNNING";
  const elapsed = duration === null && running ? elapsedSeconds(batch.startedAt, now) : null;
  const count = (n: number, colour: string) => (n > 0 ? colour : undefined);
  return (
    <div data-testid="flowlytics-metrics">
      <div style={grid}>
        <Card metric="health" title="Health" accent={health.background} hint={`${health.label}: ${health.meaning}`}>
          <HealthBadge health={batch.health} large />
        </Card>
        <Card metric="successRate" title="Success rate" hint="(succeeded + skipped) / finished processes">
          {formatPercent(batch.successRate)}
        </Card>
        <Card metric="total" title="Processes">
          {batch.totalProcesses}
        </Card>
        <Card metric="succeeded" title="Succeeded" accent={count(batch.succeeded, "#15803d")}>
          {batch.succeeded}
        </Card>
        <Card metric="failed" title="Failed" accent={count(batch.failed, "#b91c1c")}>
          {batch.failed}
        </Card>
        <Card metric="aborted" title="Aborted" accent={count(batch.aborted, "#c2410c")} hint="Counts as failed">
          {batch.aborted}
        </Card>
        <Card metric="running" title="Running" accent={count(batch.running, "#1d4ed8")}>
          {batch.running}
        </Card>
        <Card metric="pending" title="Pending" accent={count(batch.pending, "#64748b")}>
          {batch.pending}
        </Card>
        <Card metric="skipped" title="Skipped" accent={count(batch.skipped, "#be185d")}>
          {batch.skipped}
        </Card>
      </div>
      <div style={grid}>
        <Card metric="state" title="Batch state" compact>
          <StateBadge state={batch.state} />
        </Card>
        <Card metric="start" title="Start" compact hint={batch.startedAt ?? undefined}>
          {formatTimestamp(batch.startedAt)}
        </Card>
        <Card metric="end" title="End" compact hint={batch.endedAt ?? undefined}>
          {batch.endedAt ? formatTimestamp(batch.endedAt) : ""}
        </Card>
        <Card metric="duration" title="Duration" compact hint={elapsed !== null ? "Still running: time elapsed so far" : undefined}>
          {elapsed !== null ? `${formatDuration(elapsed)}…` : formatDuration(duration)}
        </Card>
        {batch.sla || batch.slaStatus ? (
          <Card
            metric="sla"
            title="SLA"
            compact
            hint={batch.sla ? `SLA: ${formatSla(batch.sla)}` : undefined}
            accent={batch.slaStatus ? SLA_STYLES[batch.slaStatus].background : undefined}
          >
            {batch.slaStatus ? (
              <span
                data-testid="flowlytics-sla-status"
                data-sla={batch.slaStatus}
                style={{
                  ...SLA_STYLES[batch.slaStatus],
                  padding: "1px 8px",
                  borderRadius: "9999px",
                  fontSize: "11px",
                  fontWeight: 700,
                }}
              >
                {batch.slaStatus}
              </span>
            ) : (
              EMPTY
            )}
            {batch.sla ? <div style={{ ...s.muted, fontSize: "11px", whiteSpace: "normal" }}>{formatSla(batch.sla)}</div> : null}
          </Card>
        ) : null}
        <Card metric="rowsRead" title="Rows read" compact>
          {formatRows(batch.rowsRead)}
        </Card>
        <Card metric="rowsWritten" title="Rows written" compact>
          {formatRows(batch.rowsWritten)}
        </Card>
        <Card
          metric="dqErrors"
          title="DQ errors"
          compact
          accent={batch.dqErrors > 0 ? "#b91c1c" : undefined}
          hint="Failed assertions plus failed/invalid rows reported by the pipeline"
        >
          {formatRows(batch.dqErrors)}
        </Card>
        <Card
          metric="dqErrorRate"
          title="DQ error rate"
          compact
          accent={(batch.dqErrorRate ?? 0) > 0.01 ? "#a16207" : undefined}
          hint="DQ errors over rows read"
        >
          {formatPercent(batch.dqErrorRate)}
        </Card>
      </div>
    </div>
  );
}
