import { useCallback, useState, type CSSProperties, type FormEvent, type ReactNode } from "react";
import {
  createChannel,
  createRule,
  createSilence,
  deleteChannel,
  deleteRule,
  deleteSilence,
  fetchAccess,
  fetchChannels,
  fetchOwnerRoutes,
  fetchRules,
  fetchSilences,
  saveOwnerRoutes,
  testChannel,
  updateChannel,
  updateRule,
  type Channel,
  type ChannelTestResult,
  type ChannelType,
  type ConditionType,
  type Criticality,
  type Rule,
  type Silence,
} from "../api/alerts";
import { ErrorLine } from "../components/ErrorLine";
import * as s from "../components/styles";
import { usePolledQuery } from "../lib/usePolledQuery";
import {
  ANOMALY_METRICS,
  CHANNEL_TYPES,
  CONDITIONS,
  CRITICALITIES,
  SILENCE_DURATIONS,
  channelBody,
  channelToForm,
  conditionSummary,
  emptyChannelForm,
  emptyRuleForm,
  fieldErrorsFromDetail,
  routesToRows,
  rowsToRoutes,
  ruleBody,
  ruleToForm,
  scopeSummary,
  secretLabel,
  silenceBody,
  urlIsWriteOnly,
  type ChannelForm,
  type FieldErrors,
  type OwnerRouteRow,
  type RuleForm,
  type SilenceForm,
} from "./forms";

const CHANNEL_FIELDS = ["name", "type", "url", "addresses", "secret"];
const RULE_FIELDS = [
  "name",
  "conditionType",
  "count",
  "metric",
  "minLevel",
  "threshold",
  "dagIds",
  "namespaces",
  "nodeIds",
  "owners",
  "minCriticality",
  "env",
  "channelIds",
];

const SILENCES_REFRESH_MS = 15_000;
const formBox: CSSProperties = { ...s.notice, display: "grid", gap: "8px", maxWidth: "720px" };
const fieldRow: CSSProperties = { display: "grid", gridTemplateColumns: "180px 1fr", gap: "8px", alignItems: "start" };
const input: CSSProperties = { ...s.select, width: "100%", boxSizing: "border-box" };
const fieldError: CSSProperties = { color: "#dc2626", fontSize: "12px", display: "block", marginTop: "2px" };

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The rules, silences, channels and owner map of the Alerts page; edit controls only for who may edit. */
export function AlertsAdmin() {
  const access = usePolledQuery(useCallback((signal: AbortSignal) => fetchAccess(signal), []), "access", 0);
  const channels = usePolledQuery(useCallback((signal: AbortSignal) => fetchChannels(signal), []), "channels", 0);
  const rules = usePolledQuery(useCallback((signal: AbortSignal) => fetchRules(signal), []), "rules", 0);
  const canEdit = access.data?.canEdit === true;
  const canSilence = access.data?.canSilence === true;
  const channelItems = channels.data?.items ?? [];
  const ruleItems = rules.data?.items ?? [];
  return (
    <div data-testid="flowlytics-alerts-admin" data-can-edit={canEdit ? "true" : "false"}>
      {access.data && !canEdit ? (
        <div data-testid="flowlytics-alerts-readonly" style={s.notice}>
          Rules, channels and the owner map are read-only for {access.data.user}: editing them needs an admin key
          or an Airflow user who may edit DAGs.
        </div>
      ) : null}
      {rules.error ? <ErrorLine what="rules" error={rules.error} /> : null}
      <RulesSection rules={ruleItems} channels={channelItems} canEdit={canEdit} onChange={rules.refresh} />
      <SilencesSection rules={ruleItems} canSilence={canSilence} />
      {channels.error ? <ErrorLine what="channels" error={channels.error} /> : null}
      <ChannelsSection
        channels={channelItems}
        canEdit={canEdit}
        onChange={() => {
          channels.refresh();
          rules.refresh(); // deleting a channel takes it out of rules
        }}
      />
      <OwnerRoutesSection channels={channelItems} canEdit={canEdit} />
    </div>
  );
}

export function FieldError({ errors, field }: { errors: FieldErrors; field: string }) {
  if (!errors[field]) return null;
  return (
    <span role="alert" data-testid={`flowlytics-field-error-${field}`} style={fieldError}>
      {errors[field]}
    </span>
  );
}

/**
 * One form field, the same markup in every form of the page: its label, the control(s), and the field's error
 * under them. `row` (the editors): label and control side by side; `inline` (a toolbar form): label before the
 * control; `cell` (a table cell, labelled by its column): the control and its error. `group` for several
 * controls with labels of their own (a label cannot hold labels).
 */
export function Field({
  label,
  errors,
  field,
  layout = "row",
  group = false,
  children,
}: {
  label?: string;
  errors: FieldErrors;
  field: string;
  layout?: "row" | "inline" | "cell";
  group?: boolean;
  children: ReactNode;
}) {
  const error = <FieldError errors={errors} field={field} />;
  if (layout === "cell") {
    return (
      <>
        {children}
        {error}
      </>
    );
  }
  const Wrapper = group ? "div" : "label";
  if (layout === "inline") {
    return (
      <Wrapper>
        {label}{" "}
        {children}
        {error}
      </Wrapper>
    );
  }
  return (
    <Wrapper style={fieldRow}>
      <span>{label}</span>
      <span>
        {children}
        {error}
      </span>
    </Wrapper>
  );
}

function FormError({ errors }: { errors: FieldErrors }) {
  return errors.form ? (
    <div role="alert" data-testid="flowlytics-form-error" style={{ ...s.errorBox, margin: 0 }}>
      {errors.form}
    </div>
  ) : null;
}

/** Delete in two clicks, without a browser dialog. */
function DeleteButton({ what, onDelete }: { what: string; onDelete: () => void }) {
  const [armed, setArmed] = useState(false);
  return armed ? (
    <>
      <button type="button" style={s.button} onClick={onDelete}>
        Delete {what}
      </button>
      <button type="button" style={s.button} onClick={() => setArmed(false)}>
        Keep
      </button>
    </>
  ) : (
    <button type="button" style={s.button} onClick={() => setArmed(true)}>
      Delete
    </button>
  );
}

// --- channels ---------------------------------------------------------------------------------------------------

export function ChannelsSection({
  channels,
  canEdit,
  onChange,
}: {
  channels: Channel[];
  canEdit: boolean;
  onChange: () => void;
}) {
  const [editing, setEditing] = useState<Channel | "new" | null>(null);
  const [tests, setTests] = useState<Record<number, ChannelTestResult | "sending">>({});
  const [error, setError] = useState<string | null>(null);
  const sendTest = (id: number) => {
    setTests((t) => ({ ...t, [id]: "sending" }));
    testChannel(id)
      .then((result) => setTests((t) => ({ ...t, [id]: result })))
      .catch((e: unknown) => setTests((t) => ({ ...t, [id]: { channelId: id, delivered: false, detail: message(e) } })));
  };
  const remove = (id: number) => {
    setError(null);
    deleteChannel(id).then(onChange, (e: unknown) => setError(message(e)));
  };
  return (
    <section data-testid="flowlytics-channels-section">
      <h3 style={s.title}>Channels</h3>
      {canEdit && editing === null ? (
        <div style={s.toolbar}>
          <button type="button" style={s.button} onClick={() => setEditing("new")}>
            New channel
          </button>
        </div>
      ) : null}
      {editing !== null ? (
        <ChannelEditor
          key={editing === "new" ? "new" : editing.id}
          existing={editing === "new" ? null : editing}
          onDone={() => {
            setEditing(null);
            onChange();
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      {error ? (
        <div role="alert" style={s.errorBox}>
          {error}
        </div>
      ) : null}
      <div style={s.tableWrap}>
        <table data-testid="flowlytics-channels" style={s.table}>
          <thead>
            <tr>
              {["#", "Name", "Type", "Target", "Secret", ...(canEdit ? [""] : [])].map((h) => (
                <th key={h || "actions"} style={s.th}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {channels.map((channel) => {
              const test = tests[channel.id];
              return (
                <tr key={channel.id} data-testid="flowlytics-channel-row" data-channel-id={channel.id}>
                  <td style={s.tdNowrap}>{channel.id}</td>
                  <td style={s.td}>{channel.name}</td>
                  <td style={s.tdNowrap}>{channel.type}</td>
                  <td style={s.td}>
                    {channel.type === "email" ? (channel.addresses ?? []).join(", ") : (channel.url ?? "")}
                    {urlIsWriteOnly(channel.type) ? <span style={s.muted}> (URL set, not shown)</span> : null}
                  </td>
                  <td style={s.tdNowrap} data-testid="flowlytics-channel-secret">
                    {secretLabel(channel)}
                  </td>
                  {canEdit ? (
                    <td style={s.td}>
                      <div style={{ ...s.toolbar, marginBottom: 0, gap: "6px" }}>
                        <button
                          type="button"
                          style={test === "sending" ? s.buttonDisabled : s.button}
                          disabled={test === "sending"}
                          onClick={() => sendTest(channel.id)}
                        >
                          Send test
                        </button>
                        <button type="button" style={s.button} onClick={() => setEditing(channel)}>
                          Edit
                        </button>
                        <DeleteButton what={channel.name} onDelete={() => remove(channel.id)} />
                      </div>
                      {test !== undefined ? (
                        <div
                          data-testid="flowlytics-channel-test-result"
                          data-delivered={test === "sending" ? "" : String(test.delivered)}
                          role="status"
                          style={{ fontSize: "12px", marginTop: "4px" }}
                        >
                          {test === "sending"
                            ? "sending a test message…"
                            : test.delivered
                              ? `Test delivered: ${test.detail}`
                              : `Test failed: ${test.detail}`}
                        </div>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {channels.length === 0 ? <div style={s.notice}>No channels yet.</div> : null}
    </section>
  );
}

export function ChannelEditor({
  existing,
  onDone,
  onCancel,
}: {
  existing: Channel | null;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [form, setForm] = useState<ChannelForm>(() => (existing ? channelToForm(existing) : emptyChannelForm()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<ChannelForm>) => setForm((f) => ({ ...f, ...change }));
  const hint = CHANNEL_TYPES.find((t) => t.value === form.type)?.urlHint ?? "";
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = channelBody(form, existing);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    (existing ? updateChannel(existing.id, checked.body) : createChannel(checked.body))
      .then(onDone, (e: unknown) => setErrors(fieldErrorsFromDetail(message(e), CHANNEL_FIELDS)))
      .finally(() => setBusy(false));
  };
  return (
    <form data-testid="flowlytics-channel-form" style={formBox} onSubmit={submit} noValidate>
      <strong>{existing ? `Edit channel #${existing.id}` : "New channel"}</strong>
      <Field label="Name" errors={errors} field="name">
        <input name="name" style={input} value={form.name} onChange={(e) => set({ name: e.target.value })} />
      </Field>
      <Field label="Type" errors={errors} field="type">
        <select
          name="type"
          style={input}
          value={form.type}
          disabled={existing !== null}
          onChange={(e) => set({ type: e.target.value as ChannelType })}
        >
          {CHANNEL_TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
      </Field>
      {form.type === "email" ? (
        <Field label="Addresses" errors={errors} field="addresses">
          <input
            name="addresses"
            style={input}
            value={form.addresses}
            placeholder="oncall@example.com, data-eng@example.com"
            onChange={(e) => set({ addresses: e.target.value })}
          />
          <span style={s.muted}>Sent through the SMTP server of FLOWLYTICS_SMTP_URL ([flowlytics] smtp_url).</span>
        </Field>
      ) : (
        <Field label="URL" errors={errors} field="url">
          <input
            name="url"
            style={input}
            value={form.url}
            placeholder={existing && urlIsWriteOnly(existing.type) ? "set; type a new URL to replace it" : hint}
            onChange={(e) => set({ url: e.target.value })}
          />
        </Field>
      )}
      {form.type === "webhook" ? (
        <Field label="Secret (HMAC signature)" errors={errors} field="secret">
          {existing?.hasSecret ? (
            <span style={{ display: "flex", gap: "8px", alignItems: "center", flexWrap: "wrap" }}>
              <span data-testid="flowlytics-secret-state">set</span>
              <select
                name="secretAction"
                style={s.select}
                value={form.secretAction}
                onChange={(e) => set({ secretAction: e.target.value as ChannelForm["secretAction"], secret: "" })}
              >
                <option value="keep">keep it</option>
                <option value="replace">replace it</option>
                <option value="remove">remove it (unsigned)</option>
              </select>
            </span>
          ) : null}
          {!existing?.hasSecret || form.secretAction === "replace" ? (
            <input
              name="secret"
              type="password"
              autoComplete="new-password"
              style={input}
              value={form.secret}
              placeholder={existing?.hasSecret ? "the new secret" : "optional; never shown again"}
              onChange={(e) => set({ secret: e.target.value })}
            />
          ) : null}
        </Field>
      ) : null}
      <FormError errors={errors} />
      <div style={{ ...s.toolbar, marginBottom: 0 }}>
        <button type="submit" style={busy ? s.buttonDisabled : s.button} disabled={busy}>
          {existing ? "Save channel" : "Create channel"}
        </button>
        <button type="button" style={s.button} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// --- rules ------------------------------------------------------------------------------------------------------

function channelNames(ids: number[], channels: Channel[]): string {
  if (ids.length === 0) return "none";
  return ids.map((id) => channels.find((c) => c.id === id)?.name ?? `#${id}`).join(", ");
}

export function RulesSection({
  rules,
  channels,
  canEdit,
  onChange,
}: {
  rules: Rule[];
  channels: Channel[];
  canEdit: boolean;
  onChange: () => void;
}) {
  const [editing, setEditing] = useState<Rule | "new" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = (promise: Promise<unknown>) => {
    setError(null);
    promise.then(onChange, (e: unknown) => setError(message(e)));
  };
  return (
    <section data-testid="flowlytics-rules-section">
      <h3 style={s.title}>Rules</h3>
      {canEdit && editing === null ? (
        <div style={s.toolbar}>
          <button type="button" style={s.button} onClick={() => setEditing("new")}>
            New rule
          </button>
        </div>
      ) : null}
      {editing !== null ? (
        <RuleEditor
          key={editing === "new" ? "new" : editing.id}
          existing={editing === "new" ? null : editing}
          channels={channels}
          onDone={() => {
            setEditing(null);
            onChange();
          }}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      {error ? (
        <div role="alert" style={s.errorBox}>
          {error}
        </div>
      ) : null}
      <div style={s.tableWrap}>
        <table data-testid="flowlytics-rules" style={s.table}>
          <thead>
            <tr>
              {["#", "Name", "When", "Scope", "Channels", "Owner routing", "State", ...(canEdit ? [""] : [])].map(
                (h) => (
                  <th key={h || "actions"} style={s.th}>
                    {h}
                  </th>
                ),
              )}
            </tr>
          </thead>
          <tbody>
            {rules.map((rule) => (
              <tr key={rule.id} data-testid="flowlytics-rule-row" data-rule-id={rule.id}>
                <td style={s.tdNowrap}>{rule.id}</td>
                <td style={s.td}>{rule.name}</td>
                <td style={s.td}>{conditionSummary(rule.condition)}</td>
                <td style={s.td}>{scopeSummary(rule.scope)}</td>
                <td style={s.td}>{channelNames(rule.channelIds, channels)}</td>
                <td style={s.tdNowrap}>{rule.routeToOwners ? "on" : "off"}</td>
                <td style={s.td}>
                  {rule.enabled ? "enabled" : "disabled"}
                  {rule.evaluated ? "" : " (not evaluated yet)"}
                  {rule.mutedUntil ? ` (muted until ${rule.mutedUntil.replace("T", " ").slice(0, 16)})` : ""}
                </td>
                {canEdit ? (
                  <td style={s.td}>
                    <div style={{ ...s.toolbar, marginBottom: 0, gap: "6px" }}>
                      <button type="button" style={s.button} onClick={() => setEditing(rule)}>
                        Edit
                      </button>
                      <button
                        type="button"
                        style={s.button}
                        onClick={() => act(updateRule(rule.id, { enabled: !rule.enabled }))}
                      >
                        {rule.enabled ? "Disable" : "Enable"}
                      </button>
                      <DeleteButton what={rule.name} onDelete={() => act(deleteRule(rule.id))} />
                    </div>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rules.length === 0 ? <div style={s.notice}>No rules yet: nothing opens incidents.</div> : null}
    </section>
  );
}

export function RuleEditor({
  existing,
  channels,
  onDone,
  onCancel,
}: {
  existing: Rule | null;
  channels: Channel[];
  onDone: () => void;
  onCancel: () => void;
}) {
  const [form, setForm] = useState<RuleForm>(() => (existing ? ruleToForm(existing) : emptyRuleForm()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const set = (change: Partial<RuleForm>) => setForm((f) => ({ ...f, ...change }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = ruleBody(form);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    (existing ? updateRule(existing.id, checked.body) : createRule(checked.body))
      .then(onDone, (e: unknown) => setErrors(fieldErrorsFromDetail(message(e), RULE_FIELDS)))
      .finally(() => setBusy(false));
  };
  const text = (field: keyof RuleForm, placeholder: string) => (
    <input
      name={field}
      style={input}
      value={String(form[field])}
      placeholder={placeholder}
      onChange={(e) => set({ [field]: e.target.value } as Partial<RuleForm>)}
    />
  );
  const toggleChannel = (id: number, on: boolean) =>
    set({ channelIds: on ? [...form.channelIds, id] : form.channelIds.filter((c) => c !== id) });
  return (
    <form data-testid="flowlytics-rule-form" style={formBox} onSubmit={submit} noValidate>
      <strong>{existing ? `Edit rule #${existing.id}` : "New rule"}</strong>
      <Field label="Name" errors={errors} field="name">
        {text("name", "payments failures")}
      </Field>
      <Field label="When" errors={errors} field="conditionType">
        <select
          name="conditionType"
          style={input}
          value={form.conditionType}
          onChange={(e) => set({ conditionType: e.target.value as ConditionType })}
        >
          {CONDITIONS.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </Field>
      {form.conditionType === "consecutive_failures" ? (
        <Field label="Failures in a row" errors={errors} field="count">
          {text("count", "3")}
        </Field>
      ) : null}
      {form.conditionType === "anomaly" ? (
        <>
          <Field label="Metric" errors={errors} field="metric">
            <select name="metric" style={input} value={form.metric} onChange={(e) => set({ metric: e.target.value })}>
              <option value="">every metric</option>
              {ANOMALY_METRICS.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Minimum level" errors={errors} field="minLevel">
            <select
              name="minLevel"
              style={input}
              value={form.minLevel}
              onChange={(e) => set({ minLevel: e.target.value as RuleForm["minLevel"] })}
            >
              <option value="">warn or error</option>
              <option value="error">error only</option>
            </select>
          </Field>
        </>
      ) : null}
      {["duration_above", "dq_error_rate_above", "cost_above"].includes(form.conditionType) ? (
        <Field label="Threshold" errors={errors} field="threshold">
          {text("threshold", form.conditionType === "dq_error_rate_above" ? "0.05" : "600")}
        </Field>
      ) : null}
      <Field label="DAG ids" errors={errors} field="dagIds">
        {text("dagIds", "any; comma-separated")}
      </Field>
      <Field label="Namespaces" errors={errors} field="namespaces">
        {text("namespaces", "any")}
      </Field>
      <Field label="Node ids" errors={errors} field="nodeIds">
        {text("nodeIds", "any, e.g. job:airflow:payments.load")}
      </Field>
      <Field label="Owners" errors={errors} field="owners">
        {text("owners", "any, e.g. team:finance")}
      </Field>
      <Field label="Minimum criticality" errors={errors} field="minCriticality">
        <select
          name="minCriticality"
          style={input}
          value={form.minCriticality}
          onChange={(e) => set({ minCriticality: e.target.value as "" | Criticality })}
        >
          <option value="">any</option>
          {CRITICALITIES.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Env" errors={errors} field="env">
        {text("env", "any, e.g. prod")}
      </Field>
      <Field label="Channels" errors={errors} field="channelIds" group>
        <span data-testid="flowlytics-rule-channels">
          {channels.length === 0 ? <span style={s.muted}>no channels yet</span> : null}
          {channels.map((c) => (
            <label key={c.id} style={{ marginRight: "12px", whiteSpace: "nowrap" }}>
              <input
                type="checkbox"
                checked={form.channelIds.includes(c.id)}
                onChange={(e) => toggleChannel(c.id, e.target.checked)}
              />{" "}
              {c.name}
            </label>
          ))}
        </span>
      </Field>
      <Field label="Owner routing" errors={errors} field="routeToOwners">
        <input
          name="routeToOwners"
          type="checkbox"
          checked={form.routeToOwners}
          onChange={(e) => set({ routeToOwners: e.target.checked })}
        />{" "}
        also tell the owners of what breaks, through the owner map below
      </Field>
      <Field label="Enabled" errors={errors} field="enabled">
        <input
          name="enabled"
          type="checkbox"
          checked={form.enabled}
          onChange={(e) => set({ enabled: e.target.checked })}
        />
      </Field>
      <FormError errors={errors} />
      <div style={{ ...s.toolbar, marginBottom: 0 }}>
        <button type="submit" style={busy ? s.buttonDisabled : s.button} disabled={busy}>
          {existing ? "Save rule" : "Create rule"}
        </button>
        <button type="button" style={s.button} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// --- snooze and mute --------------------------------------------------------------------------------------------

export function SilencesSection({ rules, canSilence }: { rules: Rule[]; canSilence: boolean }) {
  // Polled: a snooze made from an incident's detail appears here too.
  const silences = usePolledQuery(
    useCallback((signal: AbortSignal) => fetchSilences(signal), []),
    "silences",
    SILENCES_REFRESH_MS,
  );
  const [form, setForm] = useState<SilenceForm>({ ruleId: null, subject: "", duration: "60", reason: "" });
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = silenceBody(form);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    createSilence(checked.body).then(
      () => {
        setForm({ ruleId: null, subject: "", duration: "60", reason: "" });
        silences.refresh();
      },
      (e: unknown) => setErrors(fieldErrorsFromDetail(message(e), ["ruleId", "subject", "until", "reason"])),
    );
  };
  const end = (id: number) => {
    deleteSilence(id).then(silences.refresh, (e: unknown) => setErrors({ form: message(e) }));
  };
  return (
    <section data-testid="flowlytics-silences-section">
      <h3 style={s.title}>Snoozes and mutes</h3>
      {silences.error ? <ErrorLine what="silences" error={silences.error} /> : null}
      <SilenceList silences={silences.data?.items ?? []} rules={rules} canSilence={canSilence} onEnd={end} />
      {canSilence ? (
        <form data-testid="flowlytics-silence-form" style={{ ...s.toolbar, alignItems: "flex-start" }} onSubmit={submit}>
          <Field label="Rule" errors={errors} field="ruleId" layout="inline">
            <select
              name="ruleId"
              style={s.select}
              value={form.ruleId ?? ""}
              onChange={(e) => setForm({ ...form, ruleId: e.target.value ? Number(e.target.value) : null })}
            >
              <option value="">every rule</option>
              {rules.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Subject" errors={errors} field="subject" layout="inline">
            <input
              name="subject"
              style={s.select}
              value={form.subject}
              placeholder="any, or a node id"
              onChange={(e) => setForm({ ...form, subject: e.target.value })}
            />
          </Field>
          <Field label="For" errors={errors} field="until" layout="inline">
            <select
              name="duration"
              style={s.select}
              value={form.duration}
              onChange={(e) => setForm({ ...form, duration: e.target.value })}
            >
              {SILENCE_DURATIONS.map((d) => (
                <option key={d.value} value={d.value}>
                  {d.label}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Reason" errors={errors} field="reason" layout="inline">
            <input
              name="reason"
              style={s.select}
              value={form.reason}
              placeholder="optional"
              onChange={(e) => setForm({ ...form, reason: e.target.value })}
            />
          </Field>
          <button type="submit" style={s.button}>
            Silence
          </button>
          <FormError errors={errors} />
        </form>
      ) : null}
    </section>
  );
}

export function SilenceList({
  silences,
  rules,
  canSilence,
  onEnd,
  now = Date.now(),
}: {
  silences: Silence[];
  rules: Rule[];
  canSilence: boolean;
  onEnd: (id: number) => void;
  now?: number;
}) {
  const active = silences.filter((x) => x.until === null || Date.parse(x.until) > now);
  if (active.length === 0) return <div style={s.muted}>Nothing is snoozed or muted.</div>;
  return (
    <ul data-testid="flowlytics-silences">
      {active.map((x) => (
        <li key={x.id} data-testid="flowlytics-silence">
          {x.until ? `snoozed until ${x.until.replace("T", " ").slice(0, 16)} UTC` : "muted"}:{" "}
          {x.ruleId !== null ? `rule ${rules.find((r) => r.id === x.ruleId)?.name ?? `#${x.ruleId}`}` : "every rule"}
          {x.subject ? ` on ${x.subject}` : ""}
          {x.reason ? ` (${x.reason})` : ""} <span style={s.muted}>by {x.createdBy}</span>{" "}
          {canSilence ? (
            <button type="button" style={s.button} onClick={() => onEnd(x.id)}>
              End
            </button>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

// --- owner routing map ------------------------------------------------------------------------------------------

export function OwnerRoutesSection({ channels, canEdit }: { channels: Channel[]; canEdit: boolean }) {
  const routes = usePolledQuery(useCallback((signal: AbortSignal) => fetchOwnerRoutes(signal), []), "routes", 0);
  const [rows, setRows] = useState<OwnerRouteRow[] | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState(false);
  const shown = rows ?? routesToRows(routes.data?.routes ?? {});
  const edit = (index: number, change: Partial<OwnerRouteRow>) => {
    setSaved(false);
    setRows(shown.map((row, i) => (i === index ? { ...row, ...change } : row)));
  };
  const save = () => {
    const checked = rowsToRoutes(shown);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    saveOwnerRoutes(checked.body).then(
      () => {
        setRows(null);
        setSaved(true);
        routes.refresh();
      },
      (e: unknown) => setErrors({ form: message(e) }),
    );
  };
  return (
    <section data-testid="flowlytics-owner-routes-section">
      <h3 style={s.title}>Owner routing map</h3>
      <div style={s.muted}>
        Rules with owner routing on also tell each owner of the broken node and its downstream consumers (node
        metadata owners) through the channel mapped here.
      </div>
      {routes.error ? <ErrorLine what="the owner map" error={routes.error} /> : null}
      <table data-testid="flowlytics-owner-routes" style={{ ...s.table, maxWidth: "720px" }}>
        <thead>
          <tr>
            <th style={s.th}>Owner</th>
            <th style={s.th}>Channel</th>
            {canEdit ? <th style={s.th} /> : null}
          </tr>
        </thead>
        <tbody>
          {shown.map((row, index) => (
            <tr key={index} data-testid="flowlytics-owner-route">
              <td style={s.td}>
                <Field errors={errors} field={`owner-${index}`} layout="cell">
                  {canEdit ? (
                    <input
                      name={`owner-${index}`}
                      aria-label="Owner"
                      style={input}
                      value={row.owner}
                      placeholder="team:finance"
                      onChange={(e) => edit(index, { owner: e.target.value })}
                    />
                  ) : (
                    row.owner
                  )}
                </Field>
              </td>
              <td style={s.td}>
                <Field errors={errors} field={`channel-${index}`} layout="cell">
                  {canEdit ? (
                    <select
                      name={`channel-${index}`}
                      aria-label="Channel"
                      style={input}
                      value={row.channelId ?? ""}
                      onChange={(e) => edit(index, { channelId: e.target.value ? Number(e.target.value) : null })}
                    >
                      <option value="">choose…</option>
                      {channels.map((c) => (
                        <option key={c.id} value={c.id}>
                          {c.name}
                        </option>
                      ))}
                    </select>
                  ) : (
                    channelNames(row.channelId === null ? [] : [row.channelId], channels)
                  )}
                </Field>
              </td>
              {canEdit ? (
                <td style={s.td}>
                  <button
                    type="button"
                    style={s.button}
                    onClick={() => {
                      setSaved(false);
                      setRows(shown.filter((_, i) => i !== index));
                    }}
                  >
                    Remove
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && !canEdit ? <div style={s.muted}>No owner is mapped to a channel.</div> : null}
      {canEdit ? (
        <div style={{ ...s.toolbar, marginTop: "8px" }}>
          <button
            type="button"
            style={s.button}
            onClick={() => {
              setSaved(false);
              setRows([...shown, { owner: "", channelId: null }]);
            }}
          >
            Add owner
          </button>
          <button
            type="button"
            style={rows === null ? s.buttonDisabled : s.button}
            disabled={rows === null}
            onClick={save}
          >
            Save owner map
          </button>
          {saved ? <span role="status">saved</span> : null}
        </div>
      ) : null}
      <FormError errors={errors} />
    </section>
  );
}
