/**
 * Minimal fetch wrapper for the Flowlytics backend.
 *
 * All endpoints live under `<airflow base>/flowlytics/api/v1/` and are
 * resolved against `document.baseURI`, so the plugin works when Airflow is
 * served under a sub-path. Authentication is the Airflow `_token` cookie, which
 * the browser sends for same-origin requests.
 */

export const API_PREFIX = "flowlytics/api/v1/";

export type QueryValue = string | number | boolean | null | undefined | readonly string[];

/** Error raised for non-2xx responses; `message` is the server's `detail` when present. */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

function defaultBase(): string {
  if (typeof document !== "undefined" && document.baseURI) {
    return document.baseURI;
  }
  return "http://localhost/";
}

/**
 * Absolute URL for an API path (relative to `flowlytics/api/v1/`).
 * `null`/`undefined`/empty-string query values are omitted; an array value
 * repeats the parameter (`expand=a&expand=b`).
 */
export function apiUrl(
  path: string,
  query: Record<string, QueryValue> = {},
  base: string = defaultBase(),
): URL {
  const url = new URL(API_PREFIX + path.replace(/^\/+/, ""), base);
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value)) {
      for (const item of value as readonly string[]) url.searchParams.append(key, item);
      continue;
    }
    url.searchParams.set(key, String(value));
  }
  return url;
}

/** Absolute URL of the Flowlytics root (what an OpenLineage emitter should point at). */
export function flowlyticsBaseUrl(base: string = defaultBase()): string {
  return new URL("flowlytics/", base).href;
}

/**
 * Extracts a human-readable error message from an error response body.
 * Handles `{"detail": "..."}` and FastAPI-style `{"detail": [{"msg": ...}]}`.
 */
export function errorDetail(body: unknown, fallback: string): string {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === "string" && detail.trim() !== "") return detail;
    if (Array.isArray(detail)) {
      const msgs = detail
        .map((d) => (d && typeof d === "object" && "msg" in d ? String((d as { msg: unknown }).msg) : ""))
        .filter((m) => m !== "");
      if (msgs.length > 0) return msgs.join("; ");
    }
  }
  return fallback;
}

export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/**
 * The one HTTP helper of the plugin: sends `body` as JSON (when given), returns
 * the parsed JSON answer (`undefined` for an empty 2xx answer such as 204), and
 * throws ApiError with the server's `detail` for non-2xx.
 */
export async function requestJson<T>(
  method: HttpMethod,
  path: string,
  options: { query?: Record<string, QueryValue>; body?: unknown; signal?: AbortSignal; allowEmpty?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(apiUrl(path, options.query ?? {}), {
    method,
    credentials: "same-origin",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });

  let body: unknown = undefined;
  const text = await response.text();
  if (text !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }

  if (!response.ok) {
    const fallback = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    throw new ApiError(response.status, errorDetail(body, fallback));
  }
  if (body === undefined && !(options.allowEmpty && text === "")) {
    throw new ApiError(response.status, "The server returned a response that is not JSON.");
  }
  return body as T;
}

export async function getJson<T>(
  path: string,
  query: Record<string, QueryValue> = {},
  signal?: AbortSignal,
): Promise<T> {
  return requestJson<T>("GET", path, { query, signal });
}

/** A JSON request with a body (PATCH, POST, PUT): the answer's JSON (undefined when empty), or an ApiError. */
export async function sendJson<T>(method: "POST" | "PATCH" | "PUT", path: string, body: unknown): Promise<T> {
  return requestJson<T>(method, path, { body, allowEmpty: true });
}
