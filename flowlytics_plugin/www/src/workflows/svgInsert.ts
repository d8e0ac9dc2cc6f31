/**
 * Puts Mermaid's SVG text into the page without any HTML parsing sink in our
 * code (no innerHTML): parse it as XML, refuse a parse error, drop scripts,
 * active content and event-handler attributes (defence in depth: Mermaid's
 * `securityLevel: "strict"` already sanitises labels, and the backend escapes
 * every label character), then import the element into the page.
 */

const DROPPED_ELEMENTS = new Set(["script", "iframe", "object", "embed", "frame", "frameset", "base", "meta", "link"]);
const URL_ATTRIBUTES = new Set(["href", "xlink:href", "src", "action", "formaction", "data"]);

export class SvgParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SvgParseError";
  }
}

/** Removes dangerous elements and attributes below (and including) `root`, in place; returns what it removed. */
export function scrubSvg(root: Element): number {
  let removed = 0;
  const elements = [root, ...Array.from(root.getElementsByTagName("*"))];
  for (const element of elements) {
    const tag = (element.localName || element.nodeName).toLowerCase();
    if (DROPPED_ELEMENTS.has(tag) && element !== root) {
      element.parentNode?.removeChild(element);
      removed += 1;
      continue;
    }
    for (const attribute of Array.from(element.attributes)) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\u0000-\u0020]+/g, "").toLowerCase();
      const activeUrl =
        URL_ATTRIBUTES.has(name) && !value.startsWith("#") && value !== "" && !value.startsWith("data:image/");
      if (name.startsWith("on") || activeUrl || value.startsWith("javascript:")) {
        element.removeAttribute(attribute.name);
        removed += 1;
      }
    }
  }
  return removed;
}

/** Parses Mermaid's SVG text into a scrubbed <svg> element owned by `target`'s document. */
export function importSvg(svgText: string, target: Document): Element {
  const parsed = new DOMParser().parseFromString(svgText, "image/svg+xml");
  if (parsed.getElementsByTagName("parsererror").length > 0) {
    throw new SvgParseError("The diagram could not be read as SVG.");
  }
  const root = parsed.documentElement;
  if (!root || root.localName !== "svg") throw new SvgParseError("The diagram is not an SVG image.");
  scrubSvg(root);
  return target.importNode(root, true) as Element;
}

/** Replaces the children of `container` with the scrubbed SVG. */
export function showSvg(container: Element, svgText: string): Element {
  const svg = importSvg(svgText, container.ownerDocument);
  container.replaceChildren(svg);
  return svg;
}
