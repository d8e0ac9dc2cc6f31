// @vitest-environment happy-dom
/**
 * The backend's Mermaid text (tests/fixtures/workflow-mermaid.json, checked current by
 * tests/lineage_backend/workflows/test_mermaid_ui_fixture.py) parsed by mermaid's own parser, and the
 * SVG insertion that drops active content.
 */
import mermaid from "mermaid";
import { beforeAll, describe, expect, it } from "vitest";
import fixture from "./fixtures/workflow-mermaid.json";
import { importSvg, scrubSvg, showSvg, SvgParseError } from "../src/workflows/svgInsert";

interface FixtureItem {
  name: string;
  mermaid: string;
  label?: string;
}

const FIXTURE: FixtureItem[] = fixture as FixtureItem[];

beforeAll(() => {
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
});

describe("backend Mermaid output", () => {
  it("has the corpus and the hostile labels", () => {
    expect(FIXTURE.length).toBeGreaterThanOrEqual(40);
    expect(FIXTURE.filter((item) => item.label !== undefined).length).toBeGreaterThanOrEqual(10);
  });

  it.each(FIXTURE.map((item) => [item.name, item] as const))("mermaid.parse accepts %s as a flowchart", async (_name, item) => {
    const result = await mermaid.parse(item.mermaid);
    expect(result).toMatchObject({ diagramType: "flowchart-v2" });
  });

  it("rejects text that is not Mermaid (the parser really checks)", async () => {
    await expect(mermaid.parse('flowchart TD\n  n1["unclosed\n  n1 --> ')).rejects.toThrow();
    await expect(mermaid.parse("flowchart TD\n  n1 --> n2", { suppressErrors: true })).resolves.toBeTruthy();
  });

  it("keeps hostile labels as label text in the parsed graph", async () => {
    const evil = FIXTURE.find((item) => item.label === "<img src=x onerror=alert(1)>");
    expect(evil).toBeDefined();
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(evil!.mermaid);
    const db = diagram.db as unknown as { getVertices(): Map<string, { text: string }> };
    const texts = Array.from(db.getVertices().values()).map((vertex) => vertex.text);
    expect(texts.length).toBe(6);
    // The backend writes every unusual character as an entity code: no "<" reaches mermaid's text.
    for (const text of texts.slice(1)) expect(text).not.toContain("<");
    // (mermaid keeps the entity as a placeholder until it draws, then shows it as the character "<")
    expect(texts.slice(1).every((text) => text.includes("img src=x onerror=alert"))).toBe(true);
  });
});

const SVG_NS = "http://www.w3.org/2000/svg";

describe("importSvg", () => {
  it("drops scripts, event handlers and javascript: links and imports the rest", () => {
    const hostile =
      `<svg xmlns="${SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink" onload="window.__pwned=1" id="d">` +
      `<script>window.__pwned=2</script>` +
      `<g class="node"><rect onclick="x()" width="10" height="10"/><text>check it</text></g>` +
      `<a xlink:href="javascript:alert(1)" href="javascript:alert(1)"><text>link</text></a>` +
      `<use href="#d"/>` +
      `<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="window.__pwned=3"/>label</div></foreignObject>` +
      `</svg>`;
    const svg = importSvg(hostile, document);
    expect(svg.ownerDocument).toBe(document);
    expect(svg.localName).toBe("svg");
    expect(svg.getElementsByTagName("script").length).toBe(0);
    const all = [svg, ...Array.from(svg.getElementsByTagName("*"))];
    for (const element of all) {
      for (const attribute of Array.from(element.attributes)) {
        expect(attribute.name.toLowerCase().startsWith("on")).toBe(false);
        expect(attribute.value.toLowerCase()).not.toContain("javascript:");
      }
    }
    expect(svg.getElementsByTagName("use")[0].getAttribute("href")).toBe("#d");
    expect(svg.textContent).toContain("check it");
    expect(svg.textContent).toContain("label");
  });

  it("refuses text that is not well-formed SVG", () => {
    expect(() => importSvg("<svg><g></svg>", document)).toThrow(SvgParseError);
    expect(() => importSvg(`<html xmlns="http://www.w3.org/1999/xhtml"></html>`, document)).toThrow(SvgParseError);
  });

  it("scrubSvg counts what it removed", () => {
    const doc = new DOMParser().parseFromString(
      `<svg xmlns="${SVG_NS}"><script>1</script><rect onmouseover="1"/></svg>`,
      "image/svg+xml",
    );
    expect(scrubSvg(doc.documentElement)).toBe(2);
    expect(scrubSvg(doc.documentElement)).toBe(0);
  });

  it("showSvg replaces what the container held", () => {
    const container = document.createElement("div");
    container.appendChild(document.createElement("p"));
    showSvg(container, `<svg xmlns="${SVG_NS}"><text>one</text></svg>`);
    expect(container.children.length).toBe(1);
    expect(container.firstElementChild?.localName).toBe("svg");
  });
});
