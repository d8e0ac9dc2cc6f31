import { apiUrl, getJson, sendJson } from "./client";

export type IncidentState = "OPEN" | "ACKNOWLEDGED" | "RESOLVED";

export interface Incident {
  id: number;
  ruleId: number;
  title: string;
  state: IncidentState;
  severity: string;
  subject: string;
  openedAt: string;
  lastSeenAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
  occurrences: number;
  parentIncidentId: number | null;
  link: string | null;
  // No summary when the impact was unavailable as the incident opened.
  impact: { summary: { total: number; critical: number } | null; items: { id: string; owners: string[] }[] };
}

export interface TimelineEntry {
  at: string;
  kind: string;
  actor: string | null;
  message: string;
}

export interface Rule {
  id: number;
  name: string;
  condition: { type: string };
  enabled: boolean;
  evaluated: boolean;
  channelIds: number[];
}

export interface Channel {
  id: number;
  name: string;
  type: string;
  url: string | null;
  hasSecret: boolean;
}

export interface Page<T> {
  items: T[];
  totalCount: number;
}

export function fetchIncidents(state: string, signal?: AbortSignal): Promise<Page<Incident>> {
  return getJson<Page<Incident>>("incidents", { state, limit: 200 }, signal);
}

export function fetchTimeline(id: number, signal?: AbortSignal): Promise<Page<TimelineEntry>> {
  return getJson<Page<TimelineEntry>>(`incidents/${id}/timeline`, {}, signal);
}

export function updateIncident(
  id: number,
  change: { state?: "ACKNOWLEDGED" | "RESOLVED"; note?: string },
): Promise<Incident> {
  return sendJson<Incident>("PATCH", `incidents/${id}`, change);
}

export function exportUrl(id: number, format: "markdown" | "json"): string {
  return apiUrl(`incidents/${id}/export`, { format }).href;
}

export function fetchRules(signal?: AbortSignal): Promise<Page<Rule>> {
  return getJson<Page<Rule>>("alerts/rules", {}, signal);
}

export function fetchChannels(signal?: AbortSignal): Promise<Page<Channel>> {
  return getJson<Page<Channel>>("alerts/channels", {}, signal);
}

/** "3 h", "2 d": how long ago an ISO time was. */
export function age(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}
