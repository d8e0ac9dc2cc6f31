import { apiUrl, getJson, requestJson, sendJson } from "./client";

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

export type ConditionType =
  | "run_failed"
  | "consecutive_failures"
  | "anomaly"
  | "sla_missed"
  | "duration_above"
  | "dq_error_rate_above"
  | "cost_above";

export type Criticality = "low" | "medium" | "high" | "critical";

/** A rule's condition; the API answers with every field, null where the condition type has no use for it. */
export interface Condition {
  type: ConditionType | string;
  count?: number | null;
  metric?: string | null;
  minLevel?: "warn" | "error" | null;
  threshold?: number | null;
}

export interface Scope {
  dagIds?: string[];
  namespaces?: string[];
  nodeIds?: string[];
  owners?: string[];
  minCriticality?: Criticality | null;
  env?: string[];
}

export interface Rule {
  id: number;
  name: string;
  condition: Condition;
  scope: Scope;
  enabled: boolean;
  evaluated: boolean;
  channelIds: number[];
  routeToOwners: boolean;
  mutedUntil: string | null;
  updatedAt: string;
  updatedBy: string;
}

/** What POST /alerts/rules takes (PATCH takes any part of it). */
export interface RuleBody {
  name: string;
  condition: Condition;
  scope: Scope;
  channelIds: number[];
  routeToOwners: boolean;
  enabled: boolean;
}

export type ChannelType = "webhook" | "slack" | "email" | "apprise";

export interface Channel {
  id: number;
  name: string;
  type: ChannelType;
  /** Webhook URLs whole; Slack and apprise URLs (tokens inside) only as scheme and host. */
  url: string | null;
  addresses: string[] | null;
  hasSecret: boolean;
  updatedAt?: string;
  updatedBy?: string;
}

/** What POST /alerts/channels takes; PATCH takes any of it but the type (`secret: null` removes the secret). */
export interface ChannelBody {
  name?: string;
  type?: ChannelType;
  url?: string;
  addresses?: string[];
  secret?: string | null;
}

export interface ChannelTestResult {
  channelId: number;
  delivered: boolean;
  detail: string;
}

export interface Silence {
  id: number;
  ruleId: number | null;
  subject: string | null;
  until: string | null;
  reason: string | null;
  createdAt: string;
  createdBy: string;
}

export interface SilenceBody {
  ruleId?: number;
  subject?: string;
  until?: string;
  reason?: string;
}

export interface AlertAccess {
  user: string;
  canEdit: boolean;
  canSilence: boolean;
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

export function createChannel(body: ChannelBody): Promise<Channel> {
  return sendJson<Channel>("POST", "alerts/channels", body);
}

export function updateChannel(id: number, body: ChannelBody): Promise<Channel> {
  return sendJson<Channel>("PATCH", `alerts/channels/${id}`, body);
}

export async function deleteChannel(id: number): Promise<void> {
  await requestJson<undefined>("DELETE", `alerts/channels/${id}`, { allowEmpty: true });
}

export function testChannel(id: number): Promise<ChannelTestResult> {
  return sendJson<ChannelTestResult>("POST", `alerts/channels/${id}/test`, {});
}

export function createRule(body: RuleBody): Promise<Rule> {
  return sendJson<Rule>("POST", "alerts/rules", body);
}

export function updateRule(id: number, body: Partial<RuleBody>): Promise<Rule> {
  return sendJson<Rule>("PATCH", `alerts/rules/${id}`, body);
}

export async function deleteRule(id: number): Promise<void> {
  await requestJson<undefined>("DELETE", `alerts/rules/${id}`, { allowEmpty: true });
}

export function fetchOwnerRoutes(signal?: AbortSignal): Promise<{ routes: Record<string, number> }> {
  return getJson<{ routes: Record<string, number> }>("alerts/owner-routes", {}, signal);
}

export function saveOwnerRoutes(routes: Record<string, number>): Promise<{ routes: Record<string, number> }> {
  return sendJson<{ routes: Record<string, number> }>("PUT", "alerts/owner-routes", { routes });
}

export function fetchSilences(signal?: AbortSignal): Promise<Page<Silence>> {
  return getJson<Page<Silence>>("alerts/silences", {}, signal);
}

export function createSilence(body: SilenceBody): Promise<Silence> {
  return sendJson<Silence>("POST", "alerts/silences", body);
}

export async function deleteSilence(id: number): Promise<void> {
  await requestJson<undefined>("DELETE", `alerts/silences/${id}`, { allowEmpty: true });
}

export function fetchAccess(signal?: AbortSignal): Promise<AlertAccess> {
  return getJson<AlertAccess>("alerts/access", {}, signal);
}

/** "3 h", "2 d": how long ago an ISO time was. */
export function age(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}
