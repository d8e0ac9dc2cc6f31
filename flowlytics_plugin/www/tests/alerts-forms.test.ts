import { describe, expect, it } from "vitest";
import type { Channel, Rule } from "../src/api/alerts";
import {
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
  splitList,
} from "../src/alerts/forms";

const webhook: Channel = {
  id: 4,
  name: "ops",
  type: "webhook",
  url: "https://hooks.example.com/a",
  addresses: null,
  hasSecret: true,
};
const slack: Channel = { id: 5, name: "chat", type: "slack", url: "https://hooks.slack.com/…", addresses: null, hasSecret: false };

describe("splitList", () => {
  it("splits on commas and lines, trims, drops empties and repeats", () => {
    expect(splitList(" a, b\n\nc ,a,")).toEqual(["a", "b", "c"]);
    expect(splitList("  ")).toEqual([]);
  });
});

describe("channelBody", () => {
  it("creates a webhook with its secret, and refuses what is obviously wrong per field", () => {
    const form = { ...emptyChannelForm(), name: " ops ", url: "http://127.0.0.1:9/h", secret: "k" };
    expect(channelBody(form, null)).toEqual({
      ok: true,
      body: { name: "ops", type: "webhook", url: "http://127.0.0.1:9/h", secret: "k" },
    });
    expect(channelBody({ ...emptyChannelForm(), url: "ftp://x" }, null)).toEqual({
      ok: false,
      errors: { name: "give the channel a name", url: "an http(s) URL, e.g. https://hooks.example.com/x" },
    });
    const noSecret = channelBody({ ...form, secret: "" }, null);
    expect(noSecret.ok && "secret" in noSecret.body).toBe(false);
  });

  it("checks email addresses and sends no URL or secret for email", () => {
    const mail = { ...emptyChannelForm(), name: "m", type: "email" as const, secret: "ignored" };
    expect(channelBody(mail, null)).toMatchObject({ ok: false, errors: { addresses: "one or more email addresses" } });
    expect(channelBody({ ...mail, addresses: "a@x.io, nobody" }, null)).toMatchObject({
      ok: false,
      errors: { addresses: "not email addresses: nobody" },
    });
    expect(channelBody({ ...mail, addresses: "a@x.io, b@y.io" }, null)).toEqual({
      ok: true,
      body: { name: "m", type: "email", addresses: ["a@x.io", "b@y.io"] },
    });
  });

  it("edits send only what changed; a secret that is set is kept, replaced or removed, never echoed", () => {
    const form = channelToForm(webhook);
    expect(form.secret).toBe("");
    expect(form.secretAction).toBe("keep");
    expect(channelBody(form, webhook)).toEqual({ ok: false, errors: { form: "nothing changed" } });
    expect(channelBody({ ...form, name: "ops2" }, webhook)).toEqual({ ok: true, body: { name: "ops2" } });
    expect(channelBody({ ...form, secretAction: "replace", secret: "new" }, webhook)).toEqual({
      ok: true,
      body: { secret: "new" },
    });
    expect(channelBody({ ...form, secretAction: "replace" }, webhook)).toMatchObject({
      ok: false,
      errors: { secret: "type the new secret, or keep the one that is set" },
    });
    expect(channelBody({ ...form, secretAction: "remove" }, webhook)).toEqual({ ok: true, body: { secret: null } });
  });

  it("adds a secret to a webhook that had none when the field is filled, and sends nothing when it is not", () => {
    const unsigned = { ...webhook, hasSecret: false };
    const form = channelToForm(unsigned);
    expect(channelBody({ ...form, secret: "fresh" }, unsigned)).toEqual({ ok: true, body: { secret: "fresh" } });
    expect(channelBody(form, unsigned)).toEqual({ ok: false, errors: { form: "nothing changed" } });
    expect(channelBody({ ...form, url: "https://hooks.example.com/b" }, unsigned)).toEqual({
      ok: true,
      body: { url: "https://hooks.example.com/b" },
    });
  });

  it("keeps a Slack URL that is only shown masked unless a new one is typed", () => {
    const form = channelToForm(slack);
    expect(form.url).toBe(""); // the masked URL is never put back into the form (it would overwrite the real one)
    expect(channelBody({ ...form, name: "chat2" }, slack)).toEqual({ ok: true, body: { name: "chat2" } });
    expect(channelBody({ ...form, url: "https://hooks.slack.com/services/T/B/new" }, slack)).toEqual({
      ok: true,
      body: { url: "https://hooks.slack.com/services/T/B/new" },
    });
    expect(channelBody({ ...emptyChannelForm(), name: "s", type: "slack" }, null)).toMatchObject({
      ok: false,
      errors: { url: "a URL is needed" },
    });
  });

  it("labels secrets without their value", () => {
    expect(secretLabel(webhook)).toBe("set");
    expect(secretLabel({ ...webhook, hasSecret: false })).toBe("not set");
    expect(secretLabel(slack)).toBe("—");
  });
});

describe("ruleBody", () => {
  it("sends each condition's own parameters and the whole scope", () => {
    const form = {
      ...emptyRuleForm(),
      name: "payments",
      conditionType: "consecutive_failures" as const,
      count: "4",
      dagIds: "payments, billing",
      owners: "team:finance",
      minCriticality: "high" as const,
      env: "prod",
      channelIds: [2, 3],
      routeToOwners: true,
    };
    expect(ruleBody(form)).toEqual({
      ok: true,
      body: {
        name: "payments",
        condition: { type: "consecutive_failures", count: 4 },
        scope: {
          dagIds: ["payments", "billing"],
          namespaces: [],
          nodeIds: [],
          owners: ["team:finance"],
          minCriticality: "high",
          env: ["prod"],
        },
        channelIds: [2, 3],
        routeToOwners: true,
        enabled: true,
      },
    });
    const anomaly = ruleBody({ ...emptyRuleForm(), name: "a", conditionType: "anomaly", metric: "rowsWritten", minLevel: "error" });
    expect(anomaly.ok && anomaly.body.condition).toEqual({ type: "anomaly", metric: "rowsWritten", minLevel: "error" });
    const failed = ruleBody({ ...emptyRuleForm(), name: "f", threshold: "9", count: "7" });
    expect(failed.ok && failed.body.condition).toEqual({ type: "run_failed" }); // no stray parameters
  });

  it("refuses counts and thresholds out of range, next to their field", () => {
    expect(ruleBody({ ...emptyRuleForm(), conditionType: "consecutive_failures", count: "1" })).toEqual({
      ok: false,
      errors: { name: "give the rule a name", count: "a whole number from 2 to 100" },
    });
    expect(ruleBody({ ...emptyRuleForm(), name: "d", conditionType: "duration_above", threshold: "" })).toMatchObject({
      ok: false,
      errors: { threshold: "a number, 0 or more" },
    });
    expect(ruleBody({ ...emptyRuleForm(), name: "q", conditionType: "dq_error_rate_above", threshold: "5" })).toMatchObject({
      ok: false,
      errors: { threshold: "a rate from 0 to 1, e.g. 0.05" },
    });
    const ok = ruleBody({ ...emptyRuleForm(), name: "q", conditionType: "dq_error_rate_above", threshold: "0.05" });
    expect(ok.ok && ok.body.condition).toEqual({ type: "dq_error_rate_above", threshold: 0.05 });
  });

  it("round-trips a stored rule through the form", () => {
    const rule: Rule = {
      id: 1,
      name: "slow",
      condition: { type: "duration_above", threshold: 600 },
      scope: { dagIds: ["a"], namespaces: [], nodeIds: ["job:airflow:a.t"], owners: [], minCriticality: null, env: [] },
      channelIds: [9],
      routeToOwners: false,
      enabled: false,
      evaluated: true,
      mutedUntil: null,
      updatedAt: "2026-12-01T00:00:00Z",
      updatedBy: "admin",
    };
    const again = ruleBody(ruleToForm(rule));
    expect(again.ok && again.body).toEqual({
      name: "slow",
      condition: rule.condition,
      scope: { ...rule.scope, minCriticality: null },
      channelIds: [9],
      routeToOwners: false,
      enabled: false,
    });
  });

  it("summarises conditions and scopes", () => {
    expect(conditionSummary({ type: "consecutive_failures", count: 3 })).toBe("3 consecutive failures");
    expect(conditionSummary({ type: "anomaly" })).toBe("anomaly in any metric");
    expect(conditionSummary({ type: "duration_above", threshold: 90 })).toBe("duration above 90 s");
    expect(scopeSummary({})).toBe("everything");
    expect(scopeSummary({ dagIds: ["a", "b"], minCriticality: "high", env: ["prod"] })).toBe(
      "DAGs a, b; criticality ≥ high; env prod",
    );
  });
});

describe("owner routes", () => {
  it("drops empty rows and refuses half-filled or repeated ones", () => {
    expect(routesToRows({ "team:b": 2, "team:a": 1 })).toEqual([
      { owner: "team:a", channelId: 1 },
      { owner: "team:b", channelId: 2 },
    ]);
    expect(rowsToRoutes([{ owner: " team:a ", channelId: 1 }, { owner: "", channelId: null }])).toEqual({
      ok: true,
      body: { "team:a": 1 },
    });
    expect(
      rowsToRoutes([
        { owner: "team:a", channelId: 1 },
        { owner: "team:a", channelId: 2 },
        { owner: "", channelId: 3 },
        { owner: "team:c", channelId: null },
      ]),
    ).toEqual({
      ok: false,
      errors: {
        "owner-1": "team:a is in the map already",
        "owner-2": "name the owner (as in node metadata, e.g. team:finance)",
        "channel-3": "choose the channel",
      },
    });
  });
});

describe("silenceBody", () => {
  const now = Date.parse("2026-12-02T01:00:00Z");
  it("snoozes until a time from now, or mutes with no end", () => {
    expect(silenceBody({ ruleId: 3, subject: "", duration: "240", reason: " deploy " }, now)).toEqual({
      ok: true,
      body: { ruleId: 3, until: "2026-12-02T05:00:00.000Z", reason: "deploy" },
    });
    expect(silenceBody({ ruleId: null, subject: "job:airflow:x", duration: "mute", reason: "" }, now)).toEqual({
      ok: true,
      body: { subject: "job:airflow:x" },
    });
    expect(silenceBody({ ruleId: null, subject: " ", duration: "60", reason: "" }, now)).toMatchObject({ ok: false });
  });
});

describe("fieldErrorsFromDetail", () => {
  it("puts each API problem next to its field, the rest on the form", () => {
    const fields = ["name", "url", "addresses", "threshold", "count", "channelIds", "minCriticality", "conditionType"];
    expect(fieldErrorsFromDetail("url: a webhook channel needs an http(s) URL", fields)).toEqual({
      url: "url: a webhook channel needs an http(s) URL",
    });
    expect(fieldErrorsFromDetail("condition.threshold is required for duration_above", fields)).toEqual({
      threshold: "condition.threshold is required for duration_above",
    });
    expect(
      fieldErrorsFromDetail("scope.minCriticality: Input should be 'low'; condition.type: Input should be x", fields),
    ).toEqual({
      minCriticality: "scope.minCriticality: Input should be 'low'",
      conditionType: "condition.type: Input should be x",
    });
    expect(fieldErrorsFromDetail("name: 'ops' is taken; choose another name", fields)).toEqual({
      name: "name: 'ops' is taken; choose another name",
    });
    expect(fieldErrorsFromDetail("These credentials may not edit metadata", fields)).toEqual({
      form: "These credentials may not edit metadata",
    });
    expect(fieldErrorsFromDetail("secret: only webhook channels are signed", ["name"])).toEqual({
      form: "secret: only webhook channels are signed",
    });
  });
});
