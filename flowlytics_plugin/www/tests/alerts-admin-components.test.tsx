import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { Channel, Rule, Silence } from "../src/api/alerts";
import {
  ChannelEditor,
  ChannelsSection,
  Field,
  FieldError,
  RuleEditor,
  RulesSection,
  SilenceList,
} from "../src/alerts/AlertsAdmin";

const EVIL = "<img src=x onerror=window.__pwned=1>";
const channels: Channel[] = [
  { id: 1, name: "ops hook", type: "webhook", url: "https://hooks.example.com/a", addresses: null, hasSecret: true },
  { id: 2, name: EVIL, type: "slack", url: "https://hooks.slack.com/…", addresses: null, hasSecret: false },
  { id: 3, name: "mail", type: "email", url: null, addresses: ["oncall@example.com"], hasSecret: false },
];
const rules: Rule[] = [
  {
    id: 7,
    name: "payments",
    condition: { type: "consecutive_failures", count: 3 },
    scope: { dagIds: ["payments"], owners: ["team:finance"] },
    channelIds: [1, 2],
    routeToOwners: true,
    enabled: true,
    evaluated: true,
    mutedUntil: null,
    updatedAt: "2026-12-01T00:00:00Z",
    updatedBy: "admin",
  },
];
const noop = () => undefined;
const buttons = (html: string) => [...html.matchAll(/<button[^>]*>([^<]*)<\/button>/g)].map((m) => m[1]);

describe("ChannelsSection", () => {
  it("gives admins New channel, and per channel Send test, Edit and Delete", () => {
    const html = renderToStaticMarkup(<ChannelsSection channels={channels} canEdit onChange={noop} />);
    expect(buttons(html)).toEqual([
      "New channel",
      ...Array(3).fill(["Send test", "Edit", "Delete"]).flat(),
    ]);
  });

  it("shows others the same channels read-only, with no edit control at all", () => {
    const html = renderToStaticMarkup(<ChannelsSection channels={channels} canEdit={false} onChange={noop} />);
    expect(html.match(/data-testid="flowlytics-channel-row"/g)).toHaveLength(3);
    expect(buttons(html)).toEqual([]);
    expect(html).not.toContain("<form");
  });

  it("shows a secret as set, a Slack URL as set and hidden, and names as text", () => {
    const html = renderToStaticMarkup(<ChannelsSection channels={channels} canEdit onChange={noop} />);
    const secrets = [...html.matchAll(/data-testid="flowlytics-channel-secret"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(secrets).toEqual(["set", "—", "—"]);
    expect(html).toContain("(URL set, not shown)");
    expect(html).toContain("oncall@example.com");
    expect(html).not.toContain("<img");
  });
});

describe("ChannelEditor", () => {
  it("never puts a stored secret or a masked URL into the form", () => {
    const html = renderToStaticMarkup(<ChannelEditor existing={channels[0]} onDone={noop} onCancel={noop} />);
    expect(html).toContain('data-testid="flowlytics-secret-state">set<');
    expect(html).not.toContain('type="password"'); // "keep it" is chosen: no secret input until "replace"
    const slack = renderToStaticMarkup(<ChannelEditor existing={channels[1]} onDone={noop} onCancel={noop} />);
    expect(slack).toContain('placeholder="set; type a new URL to replace it"');
    expect(slack).toMatch(/name="url"[^>]*value=""/);
  });

  it("offers a secret for a new webhook and every channel type", () => {
    const html = renderToStaticMarkup(<ChannelEditor existing={null} onDone={noop} onCancel={noop} />);
    expect(html).toContain('type="password"');
    for (const type of ["webhook", "slack", "email", "apprise"]) expect(html).toContain(`value="${type}"`);
  });
});

describe("RulesSection and RuleEditor", () => {
  it("summarises each rule; edit controls only for admins", () => {
    const admin = renderToStaticMarkup(<RulesSection rules={rules} channels={channels} canEdit onChange={noop} />);
    expect(admin).toContain("3 consecutive failures");
    expect(admin).toContain("DAGs payments; owners team:finance");
    expect(admin).toContain("ops hook, &lt;img");
    expect(buttons(admin)).toEqual(["New rule", "Edit", "Disable", "Delete"]);
    const reader = renderToStaticMarkup(
      <RulesSection rules={rules} channels={channels} canEdit={false} onChange={noop} />,
    );
    expect(reader).toContain("payments");
    expect(buttons(reader)).toEqual([]);
  });

  it("edits every condition and scope field, with the rule's channels ticked", () => {
    const html = renderToStaticMarkup(<RuleEditor existing={rules[0]} channels={channels} onDone={noop} onCancel={noop} />);
    for (const c of ["run_failed", "consecutive_failures", "anomaly", "sla_missed", "duration_above", "dq_error_rate_above", "cost_above"])
      expect(html).toContain(`value="${c}"`);
    for (const name of ["dagIds", "namespaces", "nodeIds", "owners", "minCriticality", "env", "count", "routeToOwners", "enabled"])
      expect(html).toContain(`name="${name}"`);
    expect(html.match(/type="checkbox"[^>]* checked=""/g)).toHaveLength(4); // channels 1 and 2, owner routing, enabled
  });
});

describe("FieldError and SilenceList", () => {
  it("shows a field's error next to it as text", () => {
    expect(renderToStaticMarkup(<FieldError errors={{ url: EVIL }} field="url" />)).toContain(
      'data-testid="flowlytics-field-error-url"',
    );
    expect(renderToStaticMarkup(<FieldError errors={{ url: "x" }} field="name" />)).toBe("");
  });

  it("renders one field the same way in each layout: label, control, then its error", () => {
    const errors = { name: EVIL };
    const row = renderToStaticMarkup(
      <Field label="Name" errors={errors} field="name">
        <input name="name" />
      </Field>,
    );
    expect(row).toMatch(/^<label style="[^"]*grid[^"]*"><span>Name<\/span><span><input name="name"\/><span role="alert"/);
    expect(row).toContain("&lt;img src=x onerror=window.__pwned=1&gt;"); // the error is text
    const inline = renderToStaticMarkup(
      <Field label="Reason" errors={errors} field="reason" layout="inline">
        <input name="reason" />
      </Field>,
    );
    expect(inline).toBe('<label>Reason <input name="reason"/></label>');
    const group = renderToStaticMarkup(
      <Field label="Channels" errors={errors} field="name" group>
        <label>a</label>
      </Field>,
    );
    expect(group.startsWith("<div ")).toBe(true); // no label inside a label
    const cell = renderToStaticMarkup(
      <Field errors={errors} field="name" layout="cell">
        <input name="owner-0" />
      </Field>,
    );
    expect(cell).toMatch(/^<input name="owner-0"\/><span role="alert" data-testid="flowlytics-field-error-name"/);
  });

  it("lists active snoozes and mutes, not ended ones", () => {
    const now = Date.parse("2026-12-02T01:00:00Z");
    const silences: Silence[] = [
      { id: 1, ruleId: 7, subject: null, until: "2026-12-02T05:00:00Z", reason: "deploy", createdAt: "", createdBy: "a" },
      { id: 2, ruleId: null, subject: "job:airflow:x", until: null, reason: null, createdAt: "", createdBy: "b" },
      { id: 3, ruleId: 7, subject: null, until: "2026-12-01T00:00:00Z", reason: null, createdAt: "", createdBy: "c" },
    ];
    const html = renderToStaticMarkup(<SilenceList silences={silences} rules={rules} canSilence onEnd={noop} now={now} />);
    expect(html.match(/data-testid="flowlytics-silence"/g)).toHaveLength(2);
    expect(html).toContain("snoozed until 2026-12-02 05:00 UTC: rule payments (deploy)");
    expect(html).toContain("muted: every rule on job:airflow:x");
    const reader = renderToStaticMarkup(
      <SilenceList silences={silences} rules={rules} canSilence={false} onEnd={noop} now={now} />,
    );
    expect(buttons(reader)).toEqual([]);
  });
});
