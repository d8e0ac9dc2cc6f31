import { useCallback, useState } from "react";
import {
  age,
  createSilence,
  exportUrl,
  fetchIncidents,
  fetchTimeline,
  updateIncident,
  type Incident,
} from "../api/alerts";
import { AlertsAdmin } from "../alerts/AlertsAdmin";
import { SILENCE_DURATIONS, silenceBody } from "../alerts/forms";
import * as s from "../components/styles";
import { usePolledQuery } from "../lib/usePolledQuery";

const REFRESH_MS = 15_000;

/**
 * The "Alerts" page: incidents (state, severity, subject, impact size, age) with acknowledge, resolve, notes,
 * the timeline and the postmortem export; below, the rules, snoozes and mutes, channels (with "Send test") and
 * the owner routing map, editable by who may edit (the API refuses everyone else anyway).
 */
export function AlertsPage() {
  const [state, setState] = useState("OPEN,ACKNOWLEDGED");
  const [selected, setSelected] = useState<number | null>(null);
  const loadIncidents = useCallback((signal: AbortSignal) => fetchIncidents(state, signal), [state]);
  const incidents = usePolledQuery(loadIncidents, state, REFRESH_MS);
  const current = incidents.data?.items.find((i) => i.id === selected) ?? null;

  return (
    <div data-testid="flowlytics-alerts" style={s.page}>
      <h2 style={s.title}>Alerts</h2>
      <div style={s.toolbar}>
        <label>
          State{" "}
          <select
            data-testid="flowlytics-incident-state"
            style={s.select}
            value={state}
            onChange={(e) => setState(e.target.value)}
          >
            <option value="OPEN,ACKNOWLEDGED">open and acknowledged</option>
            <option value="OPEN">open</option>
            <option value="ACKNOWLEDGED">acknowledged</option>
            <option value="RESOLVED">resolved</option>
            <option value="OPEN,ACKNOWLEDGED,RESOLVED">all</option>
          </select>
        </label>
        <button type="button" style={s.button} onClick={incidents.refresh}>
          Refresh
        </button>
      </div>
      {incidents.error ? (
        <div role="alert" style={s.errorBox}>
          Could not load incidents: {incidents.error.message}
        </div>
      ) : null}
      <div style={s.tableWrap}>
        <table data-testid="flowlytics-incidents" style={s.table}>
          <thead>
            <tr>
              {["#", "State", "Severity", "Incident", "Subject", "Runs", "Impact", "Age"].map((h) => (
                <th key={h} style={s.th}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {(incidents.data?.items ?? []).map((incident) => (
              <tr
                key={incident.id}
                data-testid="flowlytics-incident-row"
                onClick={() => setSelected(incident.id)}
                style={{ cursor: "pointer", fontWeight: incident.id === selected ? 600 : undefined }}
              >
                <td style={s.tdNowrap}>{incident.id}</td>
                <td style={s.tdNowrap}>{incident.state}</td>
                <td style={s.tdNowrap}>{incident.severity}</td>
                <td style={s.td}>
                  {incident.title}
                  {incident.parentIncidentId ? ` (grouped under #${incident.parentIncidentId})` : ""}
                </td>
                <td style={s.td}>{incident.subject}</td>
                <td style={s.tdNowrap}>{incident.occurrences}</td>
                <td style={s.tdNowrap}>{incident.impact.summary ? `${incident.impact.summary.total} downstream` : "impact unknown"}</td>
                <td style={s.tdNowrap}>{age(incident.openedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {incidents.data && incidents.data.items.length === 0 ? (
        <div data-testid="flowlytics-empty" style={s.notice}>
          No incidents in this state.
        </div>
      ) : null}
      {current ? <IncidentDetail key={current.id} incident={current} onChange={incidents.refresh} /> : null}
      <AlertsAdmin />
    </div>
  );
}

function IncidentDetail({ incident, onChange }: { incident: Incident; onChange: () => void }) {
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [silenced, setSilenced] = useState<string | null>(null);
  const loadTimeline = useCallback((signal: AbortSignal) => fetchTimeline(incident.id, signal), [incident.id]);
  const timeline = usePolledQuery(loadTimeline, `${incident.id}|${incident.state}|${incident.lastSeenAt}`, REFRESH_MS);
  const act = (change: { state?: "ACKNOWLEDGED" | "RESOLVED"; note?: string }) => {
    setError(null);
    updateIncident(incident.id, change)
      .then(() => {
        setNote("");
        onChange();
        timeline.refresh();
      })
      .catch((e: Error) => setError(e.message));
  };
  // Snooze or mute this rule on this subject (the same silence the list below shows and ends).
  const silence = (duration: string) => {
    const checked = silenceBody({ ruleId: incident.ruleId, subject: incident.subject, duration, reason: "" });
    if (!checked.ok) return;
    setError(null);
    createSilence(checked.body)
      .then((made) => setSilenced(made.until ? `snoozed until ${made.until.slice(0, 16).replace("T", " ")} UTC` : "muted"))
      .catch((e: Error) => setError(e.message));
  };
  return (
    <div data-testid="flowlytics-incident-detail" style={{ marginTop: "16px" }}>
      <h3 style={s.title}>
        Incident #{incident.id}: {incident.title}
      </h3>
      <div style={s.toolbar}>
        {incident.state === "OPEN" ? (
          <button type="button" style={s.button} onClick={() => act({ state: "ACKNOWLEDGED" })}>
            Acknowledge
          </button>
        ) : null}
        {incident.state !== "RESOLVED" ? (
          <button type="button" style={s.button} onClick={() => act({ state: "RESOLVED" })}>
            Resolve
          </button>
        ) : null}
        <input
          data-testid="flowlytics-incident-note"
          value={note}
          placeholder="Add a note"
          onChange={(e) => setNote(e.target.value)}
        />
        <button type="button" style={note ? s.button : s.buttonDisabled} disabled={!note} onClick={() => act({ note })}>
          Add note
        </button>
        <select
          data-testid="flowlytics-incident-silence"
          aria-label="Snooze or mute this rule on this subject"
          style={s.select}
          value=""
          onChange={(e) => silence(e.target.value)}
        >
          <option value="">Snooze or mute…</option>
          {SILENCE_DURATIONS.map((d) => (
            <option key={d.value} value={d.value}>
              {d.label}
            </option>
          ))}
        </select>
        {silenced ? <span role="status">{silenced}: this rule on {incident.subject}</span> : null}
        <a style={s.link} href={exportUrl(incident.id, "markdown")} download={`incident-${incident.id}.md`}>
          Postmortem (Markdown)
        </a>
        <a style={s.link} href={exportUrl(incident.id, "json")} download={`incident-${incident.id}.json`}>
          JSON
        </a>
        {incident.link ? (
          <a style={s.link} href={incident.link}>
            Open in Airflow
          </a>
        ) : null}
      </div>
      {error ? (
        <div role="alert" style={s.errorBox}>
          {error}
        </div>
      ) : null}
      <ol data-testid="flowlytics-timeline">
        {(timeline.data?.items ?? []).map((entry, index) => (
          <li key={index}>
            <span style={s.muted}>{new Date(entry.at).toISOString().replace("T", " ").slice(0, 19)}</span>{" "}
            <strong>{entry.kind}</strong>
            {entry.actor ? ` (${entry.actor})` : ""}: {entry.message}
          </li>
        ))}
      </ol>
    </div>
  );
}
