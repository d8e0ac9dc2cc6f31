/**
 * The form logic of the Alerts page's admin part, pure (no React, no fetch): what a channel, rule, owner-map or
 * silence form sends to the API, what it refuses before sending, and which field an API error belongs to.
 */
import type {
  Channel,
  ChannelBody,
  ChannelType,
  Condition,
  ConditionType,
  Criticality,
  Rule,
  RuleBody,
  Scope,
  SilenceBody,
} from "../api/alerts";

/** Field name → message; "form" is for what belongs to no single field. */
export type FieldErrors = Record<string, string>;

export type Checked<T> = { ok: true; body: T } | { ok: false; errors: FieldErrors };

export const CHANNEL_TYPES: { value: ChannelType; label: string; urlHint: string }[] = [
  { value: "webhook", label: "Webhook (JSON, signed with a secret)", urlHint: "https://hooks.example.com/flowlytics" },
  { value: "slack", label: "Slack incoming webhook", urlHint: "https://hooks.slack.com/services/T000/B000/XXXX" },
  { value: "email", label: "Email (SMTP)", urlHint: "" },
  { value: "apprise", label: "Apprise URL (Teams, PagerDuty, Opsgenie, Discord, …)", urlHint: "msteams://…" },
];

export const CONDITIONS: { value: ConditionType; label: string }[] = [
  { value: "run_failed", label: "a run failed" },
  { value: "consecutive_failures", label: "consecutive failures" },
  { value: "anomaly", label: "an anomaly" },
  { value: "sla_missed", label: "an SLA missed (latest arrival or max age)" },
  { value: "duration_above", label: "duration above (seconds)" },
  { value: "dq_error_rate_above", label: "DQ error rate above (0-1)" },
  { value: "cost_above", label: "cost above" },
];

export const ANOMALY_METRICS = ["durationSeconds", "rowsRead", "rowsWritten", "dqErrorRate", "freshness"];
export const CRITICALITIES: Criticality[] = ["low", "medium", "high", "critical"];
const THRESHOLD_CONDITIONS = new Set<string>(["duration_above", "dq_error_rate_above", "cost_above"]);

/** "a, b\nc" → ["a", "b", "c"]: trimmed, without empties or repeats. */
export function splitList(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(/[,\n]/)) {
    const item = part.trim();
    if (item) seen.add(item);
  }
  return [...seen];
}

export function joinList(items: readonly string[] | null | undefined): string {
  return (items ?? []).join(", ");
}

// --- channels ---------------------------------------------------------------------------------------------------

export type SecretAction = "keep" | "replace" | "remove";

export interface ChannelForm {
  name: string;
  type: ChannelType;
  /** For an edit of a Slack or apprise channel: empty keeps the stored URL (it is never shown whole). */
  url: string;
  addresses: string;
  secretAction: SecretAction;
  secret: string;
}

/** URLs holding tokens are write-only: the form shows them as "set" and only sends a new one. */
export function urlIsWriteOnly(type: ChannelType): boolean {
  return type === "slack" || type === "apprise";
}

export function emptyChannelForm(): ChannelForm {
  return { name: "", type: "webhook", url: "", addresses: "", secretAction: "replace", secret: "" };
}

export function channelToForm(channel: Channel): ChannelForm {
  return {
    name: channel.name,
    type: channel.type,
    url: urlIsWriteOnly(channel.type) ? "" : (channel.url ?? ""),
    addresses: joinList(channel.addresses),
    // With a secret set, editing keeps it unless asked; without one, the field adds one when filled.
    secretAction: channel.hasSecret ? "keep" : "replace",
    secret: "",
  };
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function httpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/**
 * The body to POST (existing null) or PATCH (only what changed) for a channel form, or the fields to fix.
 * The API checks the same again (and apprise URLs, which only it can); this spares a round trip for the obvious.
 */
export function channelBody(form: ChannelForm, existing: Channel | null): Checked<ChannelBody> {
  const errors: FieldErrors = {};
  const name = form.name.trim();
  const url = form.url.trim();
  const addresses = splitList(form.addresses);
  if (!name) errors.name = "give the channel a name";
  const keepsUrl = existing !== null && urlIsWriteOnly(existing.type) && url === "";
  if (form.type !== "email" && !keepsUrl) {
    if (!url) errors.url = "a URL is needed";
    else if ((form.type === "webhook" || form.type === "slack") && !httpUrl(url))
      errors.url = "an http(s) URL, e.g. https://hooks.example.com/x";
  }
  if (form.type === "email") {
    if (addresses.length === 0) errors.addresses = "one or more email addresses";
    const bad = addresses.filter((a) => !EMAIL.test(a));
    if (bad.length > 0) errors.addresses = `not email addresses: ${bad.join(", ")}`;
  }
  if (form.type === "webhook" && form.secretAction === "replace" && existing?.hasSecret && !form.secret)
    errors.secret = "type the new secret, or keep the one that is set";
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const body: ChannelBody = {};
  if (existing === null || name !== existing.name) body.name = name;
  if (existing === null) body.type = form.type;
  if (form.type !== "email" && !keepsUrl && (existing === null || url !== (existing.url ?? ""))) body.url = url;
  if (form.type === "email" && (existing === null || joinList(addresses) !== joinList(existing.addresses)))
    body.addresses = addresses;
  if (form.type === "webhook") {
    if (form.secretAction === "replace" && form.secret) body.secret = form.secret;
    if (form.secretAction === "remove" && existing?.hasSecret) body.secret = null;
  }
  if (existing !== null && Object.keys(body).length === 0) return { ok: false, errors: { form: "nothing changed" } };
  return { ok: true, body };
}

/** How the list shows a channel's secret: never its value. */
export function secretLabel(channel: Channel): string {
  if (channel.type !== "webhook") return "—";
  return channel.hasSecret ? "set" : "not set";
}

// --- rules ------------------------------------------------------------------------------------------------------

export interface RuleForm {
  name: string;
  conditionType: ConditionType;
  count: string;
  metric: string; // "" = every metric
  minLevel: "" | "warn" | "error";
  threshold: string;
  dagIds: string;
  namespaces: string;
  nodeIds: string;
  owners: string;
  minCriticality: "" | Criticality;
  env: string;
  channelIds: number[];
  routeToOwners: boolean;
  enabled: boolean;
}

export function emptyRuleForm(): RuleForm {
  return {
    name: "",
    conditionType: "run_failed",
    count: "3",
    metric: "",
    minLevel: "",
    threshold: "",
    dagIds: "",
    namespaces: "",
    nodeIds: "",
    owners: "",
    minCriticality: "",
    env: "",
    channelIds: [],
    routeToOwners: false,
    enabled: true,
  };
}

export function ruleToForm(rule: Rule): RuleForm {
  const c = rule.condition;
  const scope = rule.scope ?? {};
  return {
    name: rule.name,
    conditionType: c.type as ConditionType,
    count: c.count !== undefined ? String(c.count) : "3",
    metric: c.metric ?? "",
    minLevel: c.minLevel ?? "",
    threshold: c.threshold !== undefined ? String(c.threshold) : "",
    dagIds: joinList(scope.dagIds),
    namespaces: joinList(scope.namespaces),
    nodeIds: joinList(scope.nodeIds),
    owners: joinList(scope.owners),
    minCriticality: scope.minCriticality ?? "",
    env: joinList(scope.env),
    channelIds: [...rule.channelIds],
    routeToOwners: rule.routeToOwners,
    enabled: rule.enabled,
  };
}

/** The whole rule as POST takes it (a PATCH with the whole rule is the simplest correct edit). */
export function ruleBody(form: RuleForm): Checked<RuleBody> {
  const errors: FieldErrors = {};
  const name = form.name.trim();
  if (!name) errors.name = "give the rule a name";
  const condition: Condition = { type: form.conditionType };
  if (form.conditionType === "consecutive_failures") {
    const count = Number(form.count);
    if (!Number.isInteger(count) || count < 2 || count > 100) errors.count = "a whole number from 2 to 100";
    else condition.count = count;
  }
  if (form.conditionType === "anomaly") {
    if (form.metric) condition.metric = form.metric;
    if (form.minLevel) condition.minLevel = form.minLevel;
  }
  if (THRESHOLD_CONDITIONS.has(form.conditionType)) {
    const threshold = Number(form.threshold);
    if (form.threshold.trim() === "" || !Number.isFinite(threshold) || threshold < 0)
      errors.threshold = "a number, 0 or more";
    else if (form.conditionType === "dq_error_rate_above" && threshold > 1)
      errors.threshold = "a rate from 0 to 1, e.g. 0.05";
    else condition.threshold = threshold;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const scope: Scope = {
    dagIds: splitList(form.dagIds),
    namespaces: splitList(form.namespaces),
    nodeIds: splitList(form.nodeIds),
    owners: splitList(form.owners),
    minCriticality: form.minCriticality || null,
    env: splitList(form.env),
  };
  return {
    ok: true,
    body: {
      name,
      condition,
      scope,
      channelIds: [...form.channelIds],
      routeToOwners: form.routeToOwners,
      enabled: form.enabled,
    },
  };
}

export function conditionSummary(condition: Condition): string {
  switch (condition.type) {
    case "run_failed":
      return "a run failed";
    case "consecutive_failures":
      return `${condition.count ?? 3} consecutive failures`;
    case "anomaly":
      return `anomaly in ${condition.metric ?? "any metric"}${condition.minLevel ? ` (${condition.minLevel} or worse)` : ""}`;
    case "sla_missed":
      return "SLA missed";
    case "duration_above":
      return `duration above ${condition.threshold} s`;
    case "dq_error_rate_above":
      return `DQ error rate above ${condition.threshold}`;
    case "cost_above":
      return `cost above ${condition.threshold}`;
    default:
      return String(condition.type);
  }
}

export function scopeSummary(scope: Scope | null | undefined): string {
  const s = scope ?? {};
  const parts: string[] = [];
  const add = (label: string, items: string[] | undefined) => {
    if (items && items.length > 0) parts.push(`${label} ${items.join(", ")}`);
  };
  add("DAGs", s.dagIds);
  add("namespaces", s.namespaces);
  add("nodes", s.nodeIds);
  add("owners", s.owners);
  if (s.minCriticality) parts.push(`criticality ≥ ${s.minCriticality}`);
  add("env", s.env);
  return parts.length > 0 ? parts.join("; ") : "everything";
}

// --- owner routing map -----------------------------------------------------------------------------------------

export interface OwnerRouteRow {
  owner: string;
  channelId: number | null;
}

export function routesToRows(routes: Record<string, number>): OwnerRouteRow[] {
  return Object.entries(routes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([owner, channelId]) => ({ owner, channelId }));
}

/** The map PUT takes; a row without an owner and channel is dropped, a half-filled or repeated one refused. */
export function rowsToRoutes(rows: OwnerRouteRow[]): Checked<Record<string, number>> {
  const routes: Record<string, number> = {};
  const errors: FieldErrors = {};
  rows.forEach((row, index) => {
    const owner = row.owner.trim();
    if (!owner && row.channelId === null) return;
    if (!owner) errors[`owner-${index}`] = "name the owner (as in node metadata, e.g. team:finance)";
    else if (row.channelId === null) errors[`channel-${index}`] = "choose the channel";
    else if (owner in routes) errors[`owner-${index}`] = `${owner} is in the map already`;
    else routes[owner] = row.channelId;
  });
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, body: routes };
}

// --- silences (snooze and mute) --------------------------------------------------------------------------------

export const SILENCE_DURATIONS: { value: string; label: string; minutes: number | null }[] = [
  { value: "60", label: "snooze 1 hour", minutes: 60 },
  { value: "240", label: "snooze 4 hours", minutes: 240 },
  { value: "1440", label: "snooze 1 day", minutes: 1440 },
  { value: "10080", label: "snooze 1 week", minutes: 10080 },
  { value: "mute", label: "mute (until ended)", minutes: null },
];

export interface SilenceForm {
  ruleId: number | null;
  subject: string;
  duration: string;
  reason: string;
}

export function silenceBody(form: SilenceForm, now: number = Date.now()): Checked<SilenceBody> {
  const subject = form.subject.trim();
  if (form.ruleId === null && !subject)
    return { ok: false, errors: { form: "choose a rule, a subject (node id), or both" } };
  const body: SilenceBody = {};
  if (form.ruleId !== null) body.ruleId = form.ruleId;
  if (subject) body.subject = subject;
  const choice = SILENCE_DURATIONS.find((d) => d.value === form.duration);
  if (!choice) return { ok: false, errors: { duration: "choose how long" } };
  if (choice.minutes !== null) body.until = new Date(now + choice.minutes * 60_000).toISOString();
  if (form.reason.trim()) body.reason = form.reason.trim();
  return { ok: true, body };
}

// --- errors from the API ---------------------------------------------------------------------------------------

// The API's details name the field first ("url: ...", "condition.threshold is required ...",
// "scope.minCriticality: ...", several joined by "; "): the form shows each next to its field.
const FIELD_OF: [RegExp, string][] = [
  [/^(condition\.)?count\b/, "count"],
  [/^(condition\.)?threshold\b/, "threshold"],
  [/^condition\.metric\b/, "metric"],
  [/^condition\.minLevel\b/, "minLevel"],
  [/^condition(\.type)?\b/, "conditionType"],
  [/^scope\.(\w+)/, "$scope"],
  [/^channelIds\b/, "channelIds"],
  [/^(name|url|addresses|secret|type|reason|subject|until|ruleId)\b/, "$1"],
];

function fieldOf(problem: string): string | null {
  for (const [pattern, target] of FIELD_OF) {
    const match = pattern.exec(problem);
    if (match) return target === "$scope" || target === "$1" ? match[1] : target;
  }
  return null;
}

export function fieldErrorsFromDetail(detail: string, fields: readonly string[]): FieldErrors {
  // "; " also joins the parts of one problem ("name: 'x' is taken; choose another name"): a part that names no
  // field belongs to the problem before it.
  const problems: { field: string | null; text: string }[] = [];
  for (const part of detail.split("; ")) {
    const field = fieldOf(part);
    const last = problems[problems.length - 1];
    if (field === null && last) last.text += `; ${part}`;
    else problems.push({ field, text: part });
  }
  const errors: FieldErrors = {};
  for (const { field, text } of problems) {
    const where = field !== null && fields.includes(field) ? field : "form";
    errors[where] = errors[where] ? `${errors[where]}; ${text}` : text;
  }
  return errors;
}
