import { useCallback, useState, type CSSProperties, type ReactNode } from "react";
import { fetchImpact, fetchNodeDetails, fetchNodeMetadata } from "../api/lineage";
import { ApiError } from "../api/client";
import { ErrorLine } from "../components/ErrorLine";
import { StateBadge } from "../components/StateBadge";
import * as s from "../components/styles";
import { EMPTY, formatDuration, formatTimestamp, runDurationSeconds } from "../lib/format";
import { usePolledQuery } from "../lib/usePolledQuery";
import { facetJson, facetNames, runRows, schemaFields } from "./details";
import { formatCount, formatSla, nodeTypeFromId } from "./graph";
import { lineagePageHref } from "./urlState";
import type { GraphNode, ImpactResponse, NodeType } from "./types";

export interface SidePanelProps {
  nodeId: string;
  /** The node as the graph knows it (may be absent: a node selected from a link or the impact list). */
  graphNode: GraphNode | undefined;
  /** Changes when new lineage arrived: reloads the panel. */
  version: string | undefined;
  expanded: boolean;
  onClose: () => void;
  /** Show the lineage rooted at this node. */
  onFocus: (nodeId: string) => void;
  onExpand: (nodeId: string) => void;
}

const section: CSSProperties = { margin: "14px 0 0 0" };
const h3: CSSProperties = { fontSize: "13px", fontWeight: 700, margin: "0 0 6px 0", textTransform: "uppercase", letterSpacing: "0.04em", opacity: 0.75 };
const kv: CSSProperties = { display: "grid", gridTemplateColumns: "110px 1fr", gap: "3px 10px", fontSize: "13px" };
const chip: CSSProperties = {
  display: "inline-block",
  padding: "0 7px",
  margin: "0 4px 4px 0",
  borderRadius: "9999px",
  border: `1px solid ${s.tint(30)}`,
  fontSize: "12px",
  wordBreak: "break-all",
};
const linkButton: CSSProperties = {
  font: "inherit",
  color: "inherit",
  background: "transparent",
  border: "none",
  padding: 0,
  textDecoration: "underline",
  cursor: "pointer",
  textAlign: "left",
  wordBreak: "break-all",
};

const CRITICALITY_COLOURS: Record<string, string> = {
  critical: "#b91c1c",
  high: "#c2410c",
  medium: "#a16207",
  low: "#4b5563",
};

function Criticality({ value }: { value: string | null }) {
  if (!value) return <span style={s.muted}>{EMPTY}</span>;
  const colour = CRITICALITY_COLOURS[value.toLowerCase()] ?? "#4b5563";
  return (
    <span style={{ ...chip, background: colour, color: "#ffffff", border: "none", fontWeight: 600 }}>{value}</span>
  );
}

function Chips({ items, empty = EMPTY }: { items: string[]; empty?: string }) {
  if (items.length === 0) return <span style={s.muted}>{empty}</span>;
  return (
    <span>
      {items.map((item, i) => (
        <span key={`${i}:${item}`} style={chip}>
          {item}
        </span>
      ))}
    </span>
  );
}

function Section({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section style={section} data-testid={testId}>
      <h3 style={h3}>{title}</h3>
      {children}
    </section>
  );
}

/**
 * Details of the selected node: owners / criticality / SLA / tags, impact
 * summary, schema, recent runs with row counts and durations, annotations and
 * every facet as collapsible JSON. All text is untrusted: React text only.
 */
export function SidePanel({ nodeId, graphNode, version, expanded, onClose, onFocus, onExpand }: SidePanelProps) {
  const type: NodeType = graphNode?.type ?? nodeTypeFromId(nodeId) ?? "JOB";
  const [impactDirection, setImpactDirection] = useState<"downstream" | "upstream">("downstream");
  const [copied, setCopied] = useState(false);

  const loadDetails = useCallback((signal: AbortSignal) => fetchNodeDetails(nodeId, type, signal), [nodeId, type]);
  const details = usePolledQuery(loadDetails, `${nodeId}|${version ?? ""}`, 0);
  const loadMetadata = useCallback((signal: AbortSignal) => fetchNodeMetadata(nodeId, signal), [nodeId]);
  const metadata = usePolledQuery(loadMetadata, `${nodeId}|${version ?? ""}`, 0);
  const loadImpact = useCallback(
    // The panel lists the first rows only: a hub's whole blast radius can be thousands of nodes.
    (signal: AbortSignal) => fetchImpact(nodeId, impactDirection, undefined, signal, IMPACT_ROWS),
    [nodeId, impactDirection],
  );
  const impact = usePolledQuery(loadImpact, `${nodeId}|${impactDirection}|${version ?? ""}`, 0);

  const d = details.data;
  const m = metadata.data;
  const name = graphNode?.name ?? d?.name ?? nodeId;
  const namespace = graphNode?.namespace ?? d?.namespace ?? "";
  const owners = m?.owners.length ? m.owners : d?.owners.length ? d.owners : (graphNode?.owners ?? []);
  const tags = m?.tags.length ? m.tags : d?.tags.length ? d.tags : (graphNode?.tags ?? []);
  const criticality = m?.criticality ?? graphNode?.criticality ?? null;
  const sla = m?.sla ?? graphNode?.sla ?? null;
  const schema = d ? schemaFields(d.facets) : [];
  const fallbackSchema = schema.length === 0 && graphNode ? graphNode.fields.map((f) => ({ ...f, description: null })) : [];
  const fields = schema.length > 0 ? schema : fallbackSchema;
  const latestState = graphNode?.latestRun?.state ?? d?.latestRuns[0]?.state ?? null;

  const copyLink = () => {
    const href = lineagePageHref(nodeId);
    const done = () => {
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    };
    if (typeof navigator !== "undefined" && navigator.clipboard) navigator.clipboard.writeText(href).then(done, () => undefined);
  };

  return (
    <aside
      data-testid="flowlytics-side-panel"
      data-node-id={nodeId}
      style={{
        width: "420px",
        flex: "none",
        maxHeight: "calc(100vh - 200px)",
        minHeight: "420px",
        overflowY: "auto",
        border: `1px solid ${s.tint(20)}`,
        borderRadius: "6px",
        padding: "12px 14px",
        fontSize: "13px",
        boxSizing: "border-box",
      }}
    >
      <div style={{ display: "flex", alignItems: "flex-start", gap: "8px" }}>
        <div style={{ flex: "1 1 auto", minWidth: 0 }}>
          <div style={{ fontSize: "11px", fontWeight: 700, letterSpacing: "0.05em", opacity: 0.7 }}>
            {graphNode?.isGroup ? "AIRFLOW DAG" : type}
            {d?.jobType ? ` · ${d.jobType}` : ""}
            {d?.integration ? ` · ${d.integration}` : ""}
          </div>
          <div data-testid="flowlytics-panel-name" style={{ fontSize: "16px", fontWeight: 600, wordBreak: "break-all" }}>
            {name}
          </div>
          <div style={s.namespace}>{namespace}</div>
        </div>
        <button type="button" data-testid="flowlytics-panel-close" style={s.button} onClick={onClose} title="Close">
          ✕
        </button>
      </div>
      <div style={{ display: "flex", flexWrap: "wrap", gap: "6px", marginTop: "8px", alignItems: "center" }}>
        <StateBadge state={latestState} />
        <button type="button" data-testid="flowlytics-panel-focus" style={s.button} onClick={() => onFocus(nodeId)}>
          Lineage from here
        </button>
        <button
          type="button"
          data-testid="flowlytics-panel-expand"
          style={expanded ? s.buttonDisabled : s.button}
          disabled={expanded}
          onClick={() => onExpand(nodeId)}
        >
          Expand neighbours
        </button>
        <button type="button" style={s.button} onClick={copyLink} title="Copy a link to this node's lineage">
          {copied ? "Copied" : "Copy link"}
        </button>
      </div>
      {d?.description ? <p style={{ margin: "8px 0 0 0", whiteSpace: "pre-wrap" }}>{d.description}</p> : null}

      <Section title="Ownership" testId="flowlytics-panel-ownership">
        <div style={kv}>
          <span style={s.muted}>Owners</span>
          <Chips items={owners} />
          <span style={s.muted}>Criticality</span>
          <span>
            <Criticality value={criticality} />
          </span>
          <span style={s.muted}>SLA</span>
          <span>{formatSla(sla) || <span style={s.muted}>{EMPTY}</span>}</span>
          <span style={s.muted}>Tags</span>
          <Chips items={tags} />
          {graphNode?.aliases.length || d?.aliases.length ? (
            <>
              <span style={s.muted}>Also known as</span>
              <Chips items={graphNode?.aliases.length ? graphNode.aliases : (d?.aliases ?? [])} />
            </>
          ) : null}
          {m?.updatedAt ? (
            <>
              <span style={s.muted}>Edited</span>
              <span>
                {formatTimestamp(m.updatedAt)}
                {m.updatedBy ? ` by ${m.updatedBy}` : ""}
              </span>
            </>
          ) : null}
        </div>
        {metadata.error && !(metadata.error instanceof ApiError && metadata.error.status === 404) ? (
          <ErrorLine what="metadata" error={metadata.error} />
        ) : null}
      </Section>

      <Section title="Impact" testId="flowlytics-panel-impact">
        <div style={{ display: "flex", gap: "6px", marginBottom: "6px" }}>
          {(["downstream", "upstream"] as const).map((dir) => (
            <button
              key={dir}
              type="button"
              data-testid={`flowlytics-impact-${dir}`}
              aria-pressed={impactDirection === dir}
              style={{ ...s.button, fontWeight: impactDirection === dir ? 700 : 400, background: impactDirection === dir ? s.tint(12) : "transparent" }}
              onClick={() => setImpactDirection(dir)}
            >
              {dir === "downstream" ? "What breaks downstream" : "Trace upstream problems"}
            </button>
          ))}
        </div>
        {impact.error ? <ErrorLine what="the impact" error={impact.error} /> : null}
        {!impact.data && impact.loading ? <div style={s.muted}>Loading…</div> : null}
        {impact.data ? <ImpactView impact={impact.data} onFocus={onFocus} /> : null}
      </Section>

      {type === "DATASET" || fields.length > 0 ? (
        <Section title={`Schema${fields.length ? ` (${fields.length})` : ""}`} testId="flowlytics-panel-schema">
          {fields.length === 0 ? (
            <div style={s.muted}>No schema facet received.</div>
          ) : (
            <table style={{ ...s.table, fontSize: "12px" }}>
              <thead>
                <tr>
                  <th style={s.th}>Column</th>
                  <th style={s.th}>Type</th>
                  <th style={s.th}>Description</th>
                </tr>
              </thead>
              <tbody>
                {fields.slice(0, 500).map((f, i) => (
                  <tr key={`${i}:${f.name}`}>
                    <td style={{ ...s.td, fontFamily: "ui-monospace, Menlo, Consolas, monospace", wordBreak: "break-all" }}>{f.name}</td>
                    <td style={s.td}>{f.type ?? ""}</td>
                    <td style={s.td}>{f.description ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
      ) : null}

      <Section title="Recent runs" testId="flowlytics-panel-runs">
        {details.error ? <ErrorLine what="details" error={details.error} /> : null}
        {!d && details.loading ? <div style={s.muted}>Loading…</div> : null}
        {d && d.latestRuns.length === 0 ? <div style={s.muted}>No runs yet.</div> : null}
        {d && d.latestRuns.length > 0 ? (
          <table style={{ ...s.table, fontSize: "12px" }} data-testid="flowlytics-panel-runs-table">
            <thead>
              <tr>
                <th style={s.th}>State</th>
                <th style={s.th}>Started</th>
                <th style={s.th}>Duration</th>
                {type === "JOB" ? <th style={s.th}>Rows in</th> : null}
                <th style={s.th}>{type === "JOB" ? "Rows out" : "Rows written"}</th>
              </tr>
            </thead>
            <tbody>
              {d.latestRuns.slice(0, 20).map((run, i) => {
                const rows = runRows(run, d);
                return (
                  <tr key={`${i}:${run.runId}`} title={run.errorMessage ?? `Run ${run.runId}`}>
                    <td style={s.td}>
                      <StateBadge state={run.state} />
                      {type === "DATASET" && run.job.name ? <div style={s.namespace}>{run.job.name}</div> : null}
                    </td>
                    <td style={s.tdNowrap}>{formatTimestamp(run.startedAt)}</td>
                    <td style={s.tdNowrap}>{formatDuration(runDurationSeconds(run))}</td>
                    {type === "JOB" ? <td style={s.tdNowrap}>{formatCount(rows.read)}</td> : null}
                    <td style={s.tdNowrap}>{formatCount(rows.written)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </Section>

      {m && m.annotations.length > 0 ? (
        <Section title="Annotations">
          {m.annotations.map((a, i) => (
            <div key={i} style={{ ...s.notice, margin: "0 0 6px 0", padding: "6px 10px" }}>
              <div style={{ whiteSpace: "pre-wrap" }}>{a.text}</div>
              <div style={{ ...s.muted, fontSize: "11px" }}>
                {a.author ?? "unknown"} · {formatTimestamp(a.createdAt)}
              </div>
            </div>
          ))}
        </Section>
      ) : null}

      {d ? (
        <Section title={`Facets (${facetNames(d.facets).length})`} testId="flowlytics-panel-facets">
          {facetNames(d.facets).length === 0 ? <div style={s.muted}>No facets.</div> : null}
          {facetNames(d.facets).map((facet) => (
            <details key={facet} style={{ margin: "0 0 4px 0" }}>
              <summary style={{ cursor: "pointer", fontFamily: "ui-monospace, Menlo, Consolas, monospace", fontSize: "12px" }}>
                {facet}
              </summary>
              <pre
                style={{
                  ...s.code,
                  display: "block",
                  whiteSpace: "pre-wrap",
                  maxHeight: "320px",
                  overflow: "auto",
                  padding: "6px 8px",
                  margin: "4px 0",
                }}
              >
                {facetJson(d.facets[facet])}
              </pre>
            </details>
          ))}
        </Section>
      ) : null}
    </aside>
  );
}

const PROBLEM_LABELS: Record<string, string> = { FAILED: "failed", LATE: "late", DQ_FAILED: "DQ failed" };

const IMPACT_ROWS = 25;

function ImpactView({ impact, onFocus }: { impact: ImpactResponse; onFocus: (id: string) => void }) {
  const { summary, items } = impact;
  const upstream = impact.direction === "upstream";
  const owners = Object.entries(summary.byOwner).sort((a, b) => b[1] - a[1]);
  const criticalities = ["critical", "high", "medium", "low"]
    .map((level) => [level, summary.byCriticality[level] ?? 0] as const)
    .filter(([, n]) => n > 0);
  const culprits = new Set(summary.culprits);
  const shown = upstream ? [...items].sort((a, b) => Number(culprits.has(b.id)) - Number(culprits.has(a.id))) : items;
  return (
    <div data-testid="flowlytics-impact-summary">
      <div style={{ fontSize: "13px", marginBottom: "6px" }}>
        <strong data-testid="flowlytics-impact-total">{summary.total}</strong> {upstream ? "upstream" : "downstream"}{" "}
        node{summary.total === 1 ? "" : "s"} ({summary.datasets} datasets, {summary.jobs} jobs)
        {!upstream ? (
          <>
            {" "}
            · <strong>{summary.critical}</strong> critical · <strong>{summary.slaBound}</strong> with an SLA
          </>
        ) : (
          <>
            {" "}
            · <strong>{summary.culprits.length}</strong> with problems
          </>
        )}
      </div>
      {criticalities.length > 0 ? (
        <div style={{ marginBottom: "4px" }}>
          {criticalities.map(([level, n]) => (
            <span key={level} style={{ ...chip, borderColor: CRITICALITY_COLOURS[level] }}>
              {level}: {n}
            </span>
          ))}
        </div>
      ) : null}
      {owners.length > 0 ? (
        <div style={{ marginBottom: "6px" }}>
          {owners.slice(0, 10).map(([owner, n]) => (
            <span key={owner} style={chip}>
              {owner}: {n}
            </span>
          ))}
          {owners.length > 10 ? <span style={s.muted}>+{owners.length - 10} owners</span> : null}
        </div>
      ) : null}
      {shown.length > 0 ? (
        <table style={{ ...s.table, fontSize: "12px" }}>
          <thead>
            <tr>
              <th style={s.th}>Hops</th>
              <th style={s.th}>Node</th>
              <th style={s.th}>Criticality</th>
              <th style={s.th}>Last run</th>
            </tr>
          </thead>
          <tbody>
            {shown.slice(0, IMPACT_ROWS).map((item) => (
              <tr key={item.id} data-testid="flowlytics-impact-item" data-culprit={culprits.has(item.id) ? "true" : undefined}>
                <td style={s.tdNowrap}>{item.distance}</td>
                <td style={s.td}>
                  <button type="button" style={linkButton} onClick={() => onFocus(item.id)} title={item.namespace}>
                    {item.name}
                  </button>
                  <div style={{ ...s.muted, fontSize: "11px" }}>
                    {item.type === "DATASET" ? "dataset" : "job"}
                    {item.owners.length ? ` · ${item.owners.join(", ")}` : ""}
                    {formatSla(item.sla) ? ` · SLA ${formatSla(item.sla)}` : ""}
                  </div>
                  {item.problems.length > 0 ? (
                    <div style={{ color: "#b91c1c", fontWeight: 600, fontSize: "11px" }}>
                      {item.problems.map((p) => PROBLEM_LABELS[p] ?? p).join(", ")}
                    </div>
                  ) : null}
                </td>
                <td style={s.td}>
                  <Criticality value={item.criticality} />
                </td>
                <td style={s.td}>
                  <StateBadge state={item.lastRunState} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div style={s.muted}>{upstream ? "Nothing upstream." : "Nothing downstream."}</div>
      )}
      {summary.total > Math.min(shown.length, IMPACT_ROWS) ? (
        <div style={s.muted}>… and {summary.total - Math.min(shown.length, IMPACT_ROWS)} more</div>
      ) : null}
    </div>
  );
}
