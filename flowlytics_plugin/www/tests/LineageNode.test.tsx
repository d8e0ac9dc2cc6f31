import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { CompactContext, LineageNode, type LineageNodeData } from "../src/lineage/LineageNode";
import { nodeHandles } from "../src/lineage/LineageGraph";
import { nodeSize } from "../src/lineage/layout";
import { makeNode } from "./fixtures/graphs";

const XSS = "<img src=x onerror=alert(1)>";

function render(data: Partial<LineageNodeData>, compact = false): string {
  const node = data.node ?? makeNode("dataset:s3://b:x");
  const props = {
    id: node.id,
    data: { node, level: "job", width: 260, height: 66, selected: false, root: false, expanded: false, expanding: false, groupName: null, ...data },
  } as unknown as Parameters<typeof LineageNode>[0];
  return renderToStaticMarkup(
    <CompactContext.Provider value={compact}>
      <LineageNode {...props} />
    </CompactContext.Provider>,
  );
}

describe("LineageNode", () => {
  it("renders untrusted names, namespaces, owners and fields as text", () => {
    for (const compact of [false, true]) {
      const html = render(
        {
          node: makeNode(`dataset:${XSS}:${XSS}`, { namespace: XSS, name: XSS, owners: [XSS], fields: [{ name: XSS, type: XSS }] }),
          level: "column",
        },
        compact,
      );
      expect(html).not.toContain("<img");
      expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    }
  });

  it("shows the state colour and label, and exposes test hooks", () => {
    const html = render({
      node: makeNode("job:a:b", { latestRun: { runId: "r", state: "RUNNING", startedAt: null, endedAt: null } }),
      selected: true,
    });
    expect(html).toContain('data-state="RUNNING"');
    expect(html).toContain("--acc:#1d4ed8");
    expect(html).toContain('data-selected="true"');
    expect(html).toContain('data-testid="flowlytics-node-expand"');
  });

  it("offers expand / collapse on DAG groups and on members of expanded groups", () => {
    expect(render({ node: makeNode("job:a:dag", { isGroup: true, childCount: 4 }) })).toContain("flowlytics-group-expand");
    expect(render({ node: makeNode("job:a:dag", { isGroup: true, expanded: true, childCount: 4 }) })).toContain("flowlytics-group-collapse");
    expect(render({ node: makeNode("job:a:dag.t", { parentId: "job:a:dag" }) })).toContain("flowlytics-group-collapse");
  });

  it("draws a handle wherever nodeHandles declares one, in both levels of detail", () => {
    const node = makeNode("dataset:a:t", { fields: [{ name: "x", type: null }, { name: "y", type: null }] });
    const size = nodeSize(node, "column");
    const declared = nodeHandles(node, "column", size).map((h) => `${h.type}:${h.id ?? ""}`).sort();
    for (const compact of [false, true]) {
      const html = render({ node, level: "column", ...size }, compact);
      const drawn = [...html.matchAll(/class="react-flow__handle [^"]* (source|target)"(?: data-handleid="([^"]*)")?/g)]
        .map((m) => `${m[1]}:${m[2] ?? ""}`)
        .sort();
      expect(drawn).toEqual(declared);
    }
  });
});
