/**
 * Renders Mermaid text to SVG with the `mermaid` package, loaded only when a
 * diagram is first drawn (a separate chunk next to flowlytics.js: dynamic
 * import() resolves relative to this module's URL, so it works under
 * Airflow's /flowlytics/static/).
 */
type MermaidApi = typeof import("mermaid").default;

let loading: Promise<MermaidApi> | null = null;
let initializedTheme: string | null = null;
let counter = 0;

function loadMermaid(): Promise<MermaidApi> {
  loading ??= import("mermaid").then((module) => module.default);
  loading.catch(() => {
    loading = null; // a failed chunk load may be retried
  });
  return loading;
}

export async function renderMermaid(code: string, theme: "light" | "dark"): Promise<string> {
  const mermaid = await loadMermaid();
  const mermaidTheme = theme === "dark" ? "dark" : "default";
  if (initializedTheme !== mermaidTheme) {
    mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: mermaidTheme });
    initializedTheme = mermaidTheme;
  }
  counter += 1;
  const { svg } = await mermaid.render(`flowlytics-workflow-diagram-${counter}`, code);
  return svg;
}
