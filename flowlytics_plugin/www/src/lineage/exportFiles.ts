/**
 * Browser side of the exports: download a text/blob, copy to the clipboard,
 * rasterise the SVG export to PNG on a canvas. Offline: no network, no
 * external fonts (the SVG is self-contained, see svg.ts).
 */

/** A safe file name stem from an untrusted node name. */
export function fileStem(name: string | null | undefined): string {
  const stem = (name ?? "")
    .normalize("NFKD")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[._]+|[._]+$/g, "")
    .slice(0, 80);
  return stem ? `lineage-${stem}` : "lineage";
}

export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.rel = "noopener";
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadText(text: string, filename: string, type: string): void {
  downloadBlob(new Blob([text], { type }), filename);
}

/** Copies `text`; falls back to a hidden textarea where the async clipboard API is unavailable. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the legacy path
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** Largest canvas side browsers reliably allocate; bigger drawings are scaled down. */
export const MAX_CANVAS_SIDE = 16_000;

/** Rasterises a standalone SVG document to a PNG blob (scale 2 for sharpness, capped). */
export function svgToPng(svg: string, width: number, height: number, scale = 2): Promise<Blob> {
  const factor = Math.min(scale, MAX_CANVAS_SIDE / Math.max(width, 1), MAX_CANVAS_SIDE / Math.max(height, 1));
  const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml;charset=utf-8" }));
  return new Promise<Blob>((resolve, reject) => {
    const image = new Image();
    image.onload = () => {
      try {
        const canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.floor(width * factor));
        canvas.height = Math.max(1, Math.floor(height * factor));
        const ctx = canvas.getContext("2d");
        if (!ctx) throw new Error("no 2D canvas context");
        ctx.fillStyle = "#ffffff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
        canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("PNG encoding failed"))), "image/png");
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      } finally {
        URL.revokeObjectURL(url);
      }
    };
    image.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error("the SVG could not be rendered"));
    };
    image.src = url;
  });
}

/** Width and height attributes of an SVG produced by svg.ts. */
export function svgSize(svg: string): { width: number; height: number } {
  const width = Number(/\bwidth="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 0);
  const height = Number(/\bheight="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 0);
  return { width, height };
}
