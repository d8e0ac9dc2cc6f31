import { describe, expect, it } from "vitest";
import { escapeMermaidLabel, toMermaid } from "../src/lineage/mermaid";
import { clip, escapeXml, toSvg } from "../src/lineage/svg";
import { fileStem, svgSize } from "../src/lineage/exportFiles";
import { layoutGraph } from "../src/lineage/layout";
import type { LineageGraph } from "../src/lineage/types";
import { makeEdge, makeNode } from "./fixtures/graphs";

const XSS = "<img src=x onerror=alert(1)>";
const EVIL = `dataset:s3://b:${XSS}`;

function evilGraph(): LineageGraph {
  return {
    rootIds: ["job:airflow://x:dag.t"],
    nodes: [
      makeNode("job:airflow://x:dag.t", {
        name: 'dag.t "quoted" & #hash `tick` |pipe| ]bracket[ (paren); {brace}',
        latestRun: { runId: "r", state: "FAILED", startedAt: null, endedAt: null },
      }),
      makeNode(EVIL, {
        namespace: "s3://b",
        name: XSS,
        fields: [{ name: '<script>alert("f")</script>', type: "string" }],
      }),
      makeNode("dataset:pg://h:db.t2", { name: "db.t2", fields: [{ name: "id", type: "int" }] }),
      makeNode("job:airflow://x:dag", { name: "dag", isGroup: true, childCount: 3 }),
    ],
    edges: [
      makeEdge("job:airflow://x:dag.t", EVIL),
      makeEdge(EVIL, "dataset:pg://h:db.t2", {
        sourceField: '<script>alert("f")</script>',
        targetField: "id",
        transformationType: "DIRECT",
        transformationSubtype: "IDENTITY",
      }),
    ],
    truncated: false,
  };
}

describe("escapeMermaidLabel", () => {
  it("writes every special character as a Mermaid entity code", () => {
    expect(escapeMermaidLabel(XSS)).toBe("#lt;img src=x onerror=alert#40;1#41;#gt;");
    expect(escapeMermaidLabel('a "b" #c')).toBe("a #quot;b#quot; #35;c");
    expect(escapeMermaidLabel("x&y`z|w;")).toBe("x#amp;y#96;z#124;w#59;");
    expect(escapeMermaidLabel("[a]{b}(c)\\")).toBe("#91;a#93;#123;b#125;#40;c#41;#92;");
  });

  it("flattens line breaks and control characters, and caps the length", () => {
    expect(escapeMermaidLabel("a\nb\r\nc\u0000d\u2028e")).toBe("a b c d e");
    expect(Array.from(escapeMermaidLabel("x".repeat(500), 10))).toHaveLength(10);
  });
});

describe("toMermaid", () => {
  it("exports nodes with generated ids and quoted, escaped labels; no raw markup survives", () => {
    const text = toMermaid(evilGraph(), "job");
    const lines = text.split("\n");
    expect(lines[0]).toBe("flowchart LR");
    expect(text).not.toContain("<img");
    expect(text).not.toContain("<script");
    expect(lines).toContain('  n1[("#lt;img src=x onerror=alert#40;1#41;#gt;")]');
    expect(lines).toContain('  n3[["dag (3 tasks)"]]');
    expect(lines).toContain("  n0 --> n1");
    // Labels never contain a bare double quote (it would end the label).
    for (const line of lines.filter((l) => /^ {2}n\d+\[/.test(l))) {
      const inner = line.replace(/^ {2}n\d+[[(]+"/, "").replace(/"[\])]+$/, "");
      expect(inner).not.toContain('"');
    }
    expect(text).toContain("classDef failed");
    expect(text).toMatch(/class n0 failed/);
    expect(text).toMatch(/class (n1,n2,n3|.*n1.*) norun/);
  });

  it("labels column edges with fields and transformation at column level", () => {
    const text = toMermaid(evilGraph(), "column");
    expect(text).toContain('n1 -->|"#lt;script#gt;alert#40;#quot;f#quot;#41;#lt;/script#gt; → id (DIRECT/IDENTITY)"| n2');
    expect(text).toContain("<br/>id");
    expect(text).not.toContain("<script");
  });
});

describe("SVG export", () => {
  it("escapes XML and replaces characters XML cannot hold", () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
    expect(escapeXml("a\u0000b\ud800c")).toBe("a\ufffdb\ufffdc");
    expect(escapeXml("😀")).toBe("😀");
    expect(clip("abcdef", 4)).toBe("abc…");
  });

  it("draws every node and edge as plain SVG with the untrusted names as text", () => {
    const graph = evilGraph();
    const layout = layoutGraph(graph, "column");
    const svg = toSvg(graph, layout, "column", { title: `Lineage of ${XSS}` });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith("</svg>")).toBe(true);
    expect(svg).not.toContain("<img");
    expect(svg).not.toContain("<script");
    expect(svg).not.toContain("foreignObject");
    expect(svg).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(svg.match(/<g>/g)).toHaveLength(4);
    expect(svg.match(/<path d="M[^"]* C/g)).toHaveLength(2);
    expect(svg).toContain("DIRECT/IDENTITY");
    const { width, height } = svgSize(svg);
    expect(width).toBeGreaterThan(layout.width);
    expect(height).toBeGreaterThan(layout.height);
  });

  it("makes safe file names", () => {
    expect(fileStem(XSS)).toBe("lineage-img_src_x_onerror_alert_1");
    expect(fileStem("../../etc/passwd")).toBe("lineage-etc_passwd");
    expect(fileStem("")).toBe("lineage");
    expect(fileStem(null)).toBe("lineage");
  });
});
