// src/shims/react.ts
var host = globalThis.React;
if (!host) throw new Error("Flowlytics: globalThis.React is not defined; this bundle must be loaded by the Airflow UI.");
var { Children, Component, Fragment: Fragment$1, StrictMode, Suspense, cloneElement, createContext, createElement, forwardRef, isValidElement, lazy, memo, startTransition, use, useCallback, useContext, useDebugValue, useDeferredValue, useEffect, useId, useLayoutEffect, useMemo, useReducer, useRef, useState, useSyncExternalStore, useTransition } = host;
// src/components/styles.ts
/**
* Inline styles shared by the Flowlytics views.
*
* The plugin deliberately does not depend on the host's Chakra UI. To look
* right in both Airflow themes, text inherits the host colour and borders /
* tints are derived from `currentColor`; native form controls use the CSS
* system colours (Canvas/CanvasText), which follow the page's color-scheme.
*/
/** `currentColor` at the given opacity (0-100). */
function tint(percent) {
	return `color-mix(in srgb, currentColor ${percent}%, transparent)`;
}
var page = {
	padding: "16px 20px",
	color: "inherit",
	background: "transparent",
	fontFamily: "inherit",
	fontSize: "14px",
	lineHeight: 1.45
};
var title = {
	fontSize: "20px",
	fontWeight: 600,
	margin: "0 0 12px 0"
};
var toolbar = {
	display: "flex",
	flexWrap: "wrap",
	alignItems: "center",
	gap: "12px",
	marginBottom: "12px"
};
var muted = { opacity: .7 };
var button = {
	font: "inherit",
	color: "inherit",
	background: "transparent",
	border: `1px solid ${tint(35)}`,
	borderRadius: "6px",
	padding: "4px 12px",
	cursor: "pointer"
};
var buttonDisabled = {
	...button,
	opacity: .45,
	cursor: "default"
};
var select = {
	font: "inherit",
	color: "CanvasText",
	background: "Canvas",
	border: `1px solid ${tint(35)}`,
	borderRadius: "6px",
	padding: "4px 8px"
};
var tableWrap = { overflowX: "auto" };
var table = {
	width: "100%",
	borderCollapse: "collapse",
	fontSize: "13px"
};
var th = {
	textAlign: "left",
	fontWeight: 600,
	padding: "6px 10px",
	borderBottom: `2px solid ${tint(25)}`,
	whiteSpace: "nowrap"
};
var td = {
	padding: "6px 10px",
	borderBottom: `1px solid ${tint(12)}`,
	verticalAlign: "top"
};
var tdNowrap = {
	...td,
	whiteSpace: "nowrap",
	fontVariantNumeric: "tabular-nums"
};
var namespace = {
	fontSize: "11px",
	opacity: .65,
	wordBreak: "break-all"
};
var jobName = {
	fontWeight: 500,
	wordBreak: "break-all"
};
var notice = {
	padding: "12px 14px",
	borderRadius: "6px",
	border: `1px solid ${tint(20)}`,
	background: tint(4),
	margin: "8px 0"
};
var errorBox = {
	...notice,
	border: "1px solid #b91c1c",
	background: "color-mix(in srgb, #b91c1c 12%, transparent)"
};
var code = {
	fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
	fontSize: "12px",
	padding: "1px 4px",
	borderRadius: "4px",
	background: tint(10),
	wordBreak: "break-all"
};
// src/shims/react-jsx-runtime.ts
var runtime = globalThis.ReactJSXRuntime;
if (!runtime) throw new Error("Flowlytics: globalThis.ReactJSXRuntime is not defined; this bundle must be loaded by the Airflow UI.");
var { Fragment, jsx, jsxs } = runtime;
// src/components/ErrorBoundary.tsx
/** Keeps a rendering bug in the plugin from blanking the whole Airflow UI. */
var ErrorBoundary = class extends Component {
	constructor(..._args) {
		super(..._args);
		this.state = { error: null };
	}
	static getDerivedStateFromError(error) {
		return { error };
	}
	componentDidCatch(error, info) {
		console.error("Flowlytics UI crashed:", error, info.componentStack);
	}
	render() {
		if (this.state.error) return /* @__PURE__ */ jsx("div", {
			"data-testid": "flowlytics-error",
			role: "alert",
			style: { ...page },
			children: /* @__PURE__ */ jsxs("div", {
				style: errorBox,
				children: ["Flowlytics failed to render: ", String(this.state.error.message || this.state.error)]
			})
		});
		return this.props.children;
	}
};
// src/api/client.ts
/**
* Minimal fetch wrapper for the Flowlytics backend.
*
* All endpoints live under `<airflow base>/flowlytics/api/v1/` and are
* resolved against `document.baseURI`, so the plugin works when Airflow is
* served under a sub-path. Authentication is the Airflow `_token` cookie, which
* the browser sends for same-origin requests.
*/
var API_PREFIX = "flowlytics/api/v1/";
/** Error raised for non-2xx responses; `message` is the server's `detail` when present. */
var ApiError = class extends Error {
	constructor(status, message) {
		super(message);
		this.name = "ApiError";
		this.status = status;
	}
};
function defaultBase() {
	if (typeof document !== "undefined" && document.baseURI) return document.baseURI;
	return "http://localhost/";
}
/**
* Absolute URL for an API path (relative to `flowlytics/api/v1/`).
* `null`/`undefined`/empty-string query values are omitted.
*/
function apiUrl(path, query = {}, base = defaultBase()) {
	const url = new URL(API_PREFIX + path.replace(/^\/+/, ""), base);
	for (const [key, value] of Object.entries(query)) {
		if (value === null || value === void 0 || value === "") continue;
		url.searchParams.set(key, String(value));
	}
	return url;
}
/** Absolute URL of the Flowlytics root (what an OpenLineage emitter should point at). */
function flowlyticsBaseUrl(base = defaultBase()) {
	return new URL("flowlytics/", base).href;
}
/**
* Extracts a human-readable error message from an error response body.
* Handles `{"detail": "..."}` and FastAPI-style `{"detail": [{"msg": ...}]}`.
*/
function errorDetail(body, fallback) {
	if (body && typeof body === "object" && "detail" in body) {
		const detail = body.detail;
		if (typeof detail === "string" && detail.trim() !== "") return detail;
		if (Array.isArray(detail)) {
			const msgs = detail.map((d) => d && typeof d === "object" && "msg" in d ? String(d.msg) : "").filter((m) => m !== "");
			if (msgs.length > 0) return msgs.join("; ");
		}
	}
	return fallback;
}
async function getJson(path, query = {}, signal) {
	const response = await fetch(apiUrl(path, query), {
		method: "GET",
		credentials: "same-origin",
		headers: { Accept: "application/json" },
		signal
	});
	let body = void 0;
	const text = await response.text();
	if (text !== "") try {
		body = JSON.parse(text);
	} catch {
		body = void 0;
	}
	if (!response.ok) {
		const fallback = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
		throw new ApiError(response.status, errorDetail(body, fallback));
	}
	if (body === void 0) throw new ApiError(response.status, "The server returned a response that is not JSON.");
	return body;
}
// src/api/runs.ts
/** `GET flowlytics/api/v1/runs` */
function fetchRuns(query, signal) {
	return getJson("runs", {
		limit: query.limit,
		offset: query.offset,
		state: query.state,
		jobNodeId: query.jobNodeId,
		since: query.since
	}, signal).then(normalizeRunsResponse);
}
/** Defensive normalisation so a slightly-off payload never crashes rendering. */
function normalizeRunsResponse(raw) {
	const obj = raw && typeof raw === "object" ? raw : {};
	const items = Array.isArray(obj.items) ? obj.items : [];
	const totalCount = typeof obj.totalCount === "number" && Number.isFinite(obj.totalCount) ? obj.totalCount : items.length;
	return {
		items: items.map((r) => ({
			runId: String(r?.runId ?? ""),
			state: r?.state == null ? null : String(r.state),
			job: {
				namespace: String(r?.job?.namespace ?? ""),
				name: String(r?.job?.name ?? "")
			},
			startedAt: r?.startedAt ?? null,
			endedAt: r?.endedAt ?? null,
			durationSeconds: typeof r?.durationSeconds === "number" ? r.durationSeconds : null,
			parentRunId: r?.parentRunId ?? null,
			rootRunId: r?.rootRunId ?? null,
			errorMessage: r?.errorMessage == null ? null : String(r.errorMessage)
		})),
		totalCount
	};
}
function pad2(n) {
	return n < 10 ? `0${n}` : String(n);
}
/**
* Formats a duration in seconds as `HH:MM:SS` (hours are not capped at 24,
* e.g. `27:03:01`). Fractions are rounded to the nearest second.
* Returns {@link EMPTY} for null/undefined/NaN/infinite/negative input.
*/
function formatDuration(seconds) {
	if (seconds === null || seconds === void 0 || !Number.isFinite(seconds) || seconds < 0) return "—";
	const total = Math.round(seconds);
	const h = Math.floor(total / 3600);
	const m = Math.floor(total % 3600 / 60);
	const s = total % 60;
	return `${pad2(h)}:${pad2(m)}:${pad2(s)}`;
}
/** Parses an ISO timestamp; returns null when absent or unparseable. */
function parseTimestamp(iso) {
	if (!iso) return null;
	const d = new Date(iso);
	return Number.isNaN(d.getTime()) ? null : d;
}
/**
* Formats an ISO timestamp as `YYYY-MM-DD HH:MM:SS` in the browser's local
* time zone (or UTC with `{ utc: true }`). Missing -> {@link EMPTY};
* unparseable -> the raw string (still rendered as plain text).
*/
function formatTimestamp(iso, options = {}) {
	if (!iso) return "—";
	const d = parseTimestamp(iso);
	if (!d) return iso;
	const utc = options.utc === true;
	const year = utc ? d.getUTCFullYear() : d.getFullYear();
	const month = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
	const day = utc ? d.getUTCDate() : d.getDate();
	const hh = utc ? d.getUTCHours() : d.getHours();
	const mm = utc ? d.getUTCMinutes() : d.getMinutes();
	const ss = utc ? d.getUTCSeconds() : d.getSeconds();
	return `${year}-${pad2(month)}-${pad2(day)} ${pad2(hh)}:${pad2(mm)}:${pad2(ss)}`;
}
/**
* Best-known duration of a run in seconds: the server's `durationSeconds`,
* else `endedAt - startedAt`, else null.
*/
function runDurationSeconds(run) {
	if (typeof run.durationSeconds === "number" && Number.isFinite(run.durationSeconds)) return run.durationSeconds;
	const start = parseTimestamp(run.startedAt);
	const end = parseTimestamp(run.endedAt);
	if (start && end && end.getTime() >= start.getTime()) return (end.getTime() - start.getTime()) / 1e3;
	return null;
}
/** Seconds elapsed since `startedAt` (for runs still in progress), or null. */
function elapsedSeconds(startedAt, now = Date.now()) {
	const start = parseTimestamp(startedAt);
	if (!start) return null;
	const diff = (now - start.getTime()) / 1e3;
	return diff >= 0 ? diff : null;
}
/**
* Truncates text to at most `max` characters (code points, so emoji and
* astral characters are never split), appending an ellipsis when cut.
*/
function truncate(text, max = 80) {
	if (!text) return "";
	const chars = Array.from(text);
	if (chars.length <= max) return text;
	return `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}
/** `"1–50 of 123"`; `"0 of 0"` when empty. Uses an en dash. */
function formatRange(offset, shown, total) {
	if (shown <= 0 || total <= 0) return `0 of ${Math.max(0, total)}`;
	return `${offset + 1}–${offset + shown} of ${total}`;
}
// src/components/Pagination.tsx
function Pagination({ offset, limit, shown, total, disabled = false, onChange }) {
	const hasPrev = offset > 0;
	const hasNext = offset + shown < total;
	const prevDisabled = disabled || !hasPrev;
	const nextDisabled = disabled || !hasNext;
	return /* @__PURE__ */ jsxs("div", {
		style: {
			display: "flex",
			alignItems: "center",
			gap: "10px",
			marginTop: "10px"
		},
		children: [
			/* @__PURE__ */ jsx("button", {
				type: "button",
				"data-testid": "flowlytics-prev",
				style: prevDisabled ? buttonDisabled : button,
				disabled: prevDisabled,
				onClick: () => onChange(Math.max(0, offset - limit)),
				children: "‹ Prev"
			}),
			/* @__PURE__ */ jsx("span", {
				"data-testid": "flowlytics-range",
				style: { fontVariantNumeric: "tabular-nums" },
				children: formatRange(offset, shown, total)
			}),
			/* @__PURE__ */ jsx("button", {
				type: "button",
				"data-testid": "flowlytics-next",
				style: nextDisabled ? buttonDisabled : button,
				disabled: nextDisabled,
				onClick: () => onChange(offset + limit),
				children: "Next ›"
			})
		]
	});
}
// src/types.ts
var RUN_STATES = [
	"RUNNING",
	"COMPLETED",
	"FAILED",
	"ABORTED"
];
// src/lib/state.ts
/**
* Badge colours per run state. Solid, self-contained colours so the badge
* reads the same on Airflow's light and dark themes.
*/
var STATE_STYLES = {
	RUNNING: {
		background: "#1d4ed8",
		color: "#ffffff"
	},
	COMPLETED: {
		background: "#15803d",
		color: "#ffffff"
	},
	FAILED: {
		background: "#b91c1c",
		color: "#ffffff"
	},
	ABORTED: {
		background: "#c2410c",
		color: "#ffffff"
	}
};
var UNKNOWN_STATE_STYLE = {
	background: "#4b5563",
	color: "#ffffff"
};
function isKnownState(state) {
	return typeof state === "string" && RUN_STATES.includes(state);
}
/** Colours for a state; case-insensitive; anything unknown (incl. null) is grey. */
function stateStyle(state) {
	const upper = typeof state === "string" ? state.toUpperCase() : state;
	return isKnownState(upper) ? STATE_STYLES[upper] : UNKNOWN_STATE_STYLE;
}
/** Text shown in the badge. */
function stateLabel(state) {
	return typeof state === "string" && state.trim() !== "" ? state.toUpperCase() : "UNKNOWN";
}
// src/components/StateBadge.tsx
function StateBadge({ state }) {
	const colours = stateStyle(state);
	return /* @__PURE__ */ jsx("span", {
		"data-testid": "flowlytics-state-badge",
		style: {
			display: "inline-block",
			padding: "1px 8px",
			borderRadius: "9999px",
			fontSize: "11px",
			fontWeight: 600,
			letterSpacing: "0.03em",
			whiteSpace: "nowrap",
			background: colours.background,
			color: colours.color
		},
		children: stateLabel(state)
	});
}
/**
* Presentational table of runs. All run fields are untrusted (they come from
* OpenLineage events) and are rendered exclusively as React text/attributes.
*/
function RunsTable({ runs, now, stale = false }) {
	return /* @__PURE__ */ jsx("div", {
		style: tableWrap,
		children: /* @__PURE__ */ jsxs("table", {
			"data-testid": "flowlytics-runs-table",
			style: {
				...table,
				opacity: stale ? .6 : 1
			},
			children: [/* @__PURE__ */ jsx("thead", { children: /* @__PURE__ */ jsxs("tr", { children: [
				/* @__PURE__ */ jsx("th", {
					style: th,
					children: "Job"
				}),
				/* @__PURE__ */ jsx("th", {
					style: th,
					children: "State"
				}),
				/* @__PURE__ */ jsx("th", {
					style: th,
					children: "Started"
				}),
				/* @__PURE__ */ jsx("th", {
					style: th,
					children: "Ended"
				}),
				/* @__PURE__ */ jsx("th", {
					style: th,
					children: "Duration"
				}),
				/* @__PURE__ */ jsx("th", {
					style: th,
					children: "Error"
				})
			] }) }), /* @__PURE__ */ jsx("tbody", { children: runs.map((run, index) => /* @__PURE__ */ jsx(RunRow, {
				run,
				now
			}, run.runId ? `${run.runId}:${index}` : `row-${index}`)) })]
		})
	});
}
function RunRow({ run, now }) {
	const duration = runDurationSeconds(run);
	const running = stateLabel(run.state) === "RUNNING";
	const elapsed = duration === null && running ? elapsedSeconds(run.startedAt, now) : null;
	return /* @__PURE__ */ jsxs("tr", {
		"data-testid": "flowlytics-run-row",
		"data-state": stateLabel(run.state),
		"data-run-id": run.runId,
		children: [
			/* @__PURE__ */ jsxs("td", {
				style: td,
				title: `Run ${run.runId}`,
				children: [/* @__PURE__ */ jsx("div", {
					style: jobName,
					children: run.job.name || "—"
				}), /* @__PURE__ */ jsx("div", {
					style: namespace,
					children: run.job.namespace
				})]
			}),
			/* @__PURE__ */ jsx("td", {
				style: td,
				children: /* @__PURE__ */ jsx(StateBadge, { state: run.state })
			}),
			/* @__PURE__ */ jsx("td", {
				style: tdNowrap,
				title: run.startedAt ?? void 0,
				children: formatTimestamp(run.startedAt)
			}),
			/* @__PURE__ */ jsx("td", {
				style: tdNowrap,
				title: run.endedAt ?? void 0,
				children: formatTimestamp(run.endedAt)
			}),
			/* @__PURE__ */ jsx("td", {
				style: tdNowrap,
				title: elapsed !== null ? "Still running: time elapsed so far" : void 0,
				children: elapsed !== null ? /* @__PURE__ */ jsxs("span", {
					style: muted,
					children: [formatDuration(elapsed), "…"]
				}) : formatDuration(duration)
			}),
			/* @__PURE__ */ jsx("td", {
				style: {
					...td,
					maxWidth: "420px"
				},
				title: run.errorMessage ?? void 0,
				children: run.errorMessage ? truncate(run.errorMessage, 80) : ""
			})
		]
	});
}
// src/lib/filters.ts
/**
* Whether an OpenLineage job belongs to a DAG: the Airflow OpenLineage
* provider names DAG-level jobs `<dag_id>` and task-level jobs
* `<dag_id>.<task_id>`. No dagId -> everything matches.
*/
function jobMatchesDag(jobName, dagId) {
	if (!dagId) return true;
	return jobName === dagId || jobName.startsWith(`${dagId}.`);
}
// src/lib/usePolledQuery.ts
function isAbort(err) {
	return err instanceof Error && err.name === "AbortError";
}
/**
* Runs `load` whenever `key` changes, on `refresh()`, and every `intervalMs`
* (0 disables polling; skipped while the browser tab is hidden). In-flight
* requests are aborted when superseded or on unmount, so a slow response can
* never overwrite a newer one. Data is cleared when `key` changes (so a
* different filter/page never shows stale rows) but kept across refreshes.
*/
function usePolledQuery(load, key, intervalMs) {
	const [state, setState] = useState({
		key,
		data: void 0,
		error: void 0,
		loading: true,
		updatedAt: void 0
	});
	const [tick, setTick] = useState(0);
	const loadRef = useRef(load);
	useEffect(() => {
		loadRef.current = load;
	});
	useEffect(() => {
		const controller = new AbortController();
		setState((prev) => prev.key === key ? {
			...prev,
			loading: true
		} : {
			key,
			data: void 0,
			error: void 0,
			loading: true,
			updatedAt: void 0
		});
		loadRef.current(controller.signal).then((data) => {
			if (controller.signal.aborted) return;
			setState({
				key,
				data,
				error: void 0,
				loading: false,
				updatedAt: Date.now()
			});
		}, (err) => {
			if (controller.signal.aborted || isAbort(err)) return;
			const error = err instanceof Error ? err : new Error(String(err));
			setState((prev) => ({
				...prev,
				key,
				error,
				loading: false
			}));
		});
		return () => controller.abort();
	}, [key, tick]);
	useEffect(() => {
		if (!intervalMs || intervalMs <= 0) return void 0;
		const id = setInterval(() => {
			if (typeof document !== "undefined" && document.visibilityState === "hidden") return;
			setTick((t) => t + 1);
		}, intervalMs);
		return () => clearInterval(id);
	}, [
		key,
		tick,
		intervalMs
	]);
	const refresh = useCallback(() => setTick((t) => t + 1), []);
	const current = state.key === key;
	return {
		data: current ? state.data : void 0,
		error: current ? state.error : void 0,
		loading: current ? state.loading : true,
		updatedAt: current ? state.updatedAt : void 0,
		refresh
	};
}
var REFRESH_INTERVAL_MS = 15e3;
/** Recent OpenLineage runs received by Flowlytics. */
function RunsPage({ dagId }) {
	const [stateFilter, setStateFilter] = useState("");
	const [offset, setOffset] = useState(0);
	const query = usePolledQuery(useCallback((signal) => fetchRuns({
		limit: 50,
		offset,
		state: stateFilter || void 0
	}, signal), [offset, stateFilter]), `50|${offset}|${stateFilter}`, REFRESH_INTERVAL_MS);
	const [now, setNow] = useState(() => Date.now());
	useEffect(() => setNow(Date.now()), [query.updatedAt]);
	const data = query.data;
	const visible = useMemo(() => data ? data.items.filter((run) => jobMatchesDag(run.job.name, dagId)) : [], [data, dagId]);
	useEffect(() => {
		if (data && data.items.length === 0 && offset > 0 && data.totalCount > 0) setOffset(Math.max(0, Math.floor((data.totalCount - 1) / 50) * 50));
	}, [data, offset]);
	const emitterUrl = flowlyticsBaseUrl();
	return /* @__PURE__ */ jsxs("div", {
		"data-testid": "flowlytics-runs-page",
		style: page,
		children: [
			/* @__PURE__ */ jsx("h2", {
				style: title,
				children: "Flowlytics — recent runs"
			}),
			dagId ? /* @__PURE__ */ jsxs("p", {
				style: {
					...muted,
					margin: "0 0 10px 0"
				},
				children: [
					"Showing runs of DAG ",
					/* @__PURE__ */ jsx("code", {
						style: code,
						children: dagId
					}),
					" (jobs named ",
					/* @__PURE__ */ jsx("code", {
						style: code,
						children: dagId
					}),
					" or",
					" ",
					/* @__PURE__ */ jsx("code", {
						style: code,
						children: `${dagId}.*`
					}),
					") on the current page."
				]
			}) : null,
			/* @__PURE__ */ jsxs("div", {
				style: toolbar,
				children: [
					/* @__PURE__ */ jsxs("label", {
						style: {
							display: "flex",
							alignItems: "center",
							gap: "6px"
						},
						children: ["State", /* @__PURE__ */ jsxs("select", {
							"data-testid": "flowlytics-state-filter",
							style: select,
							value: stateFilter,
							onChange: (event) => {
								setStateFilter(event.target.value);
								setOffset(0);
							},
							children: [/* @__PURE__ */ jsx("option", {
								value: "",
								children: "All"
							}), RUN_STATES.map((state) => /* @__PURE__ */ jsx("option", {
								value: state,
								children: state
							}, state))]
						})]
					}),
					/* @__PURE__ */ jsx("button", {
						type: "button",
						"data-testid": "flowlytics-refresh",
						style: button,
						onClick: query.refresh,
						children: "Refresh"
					}),
					/* @__PURE__ */ jsx("span", {
						style: muted,
						"data-testid": "flowlytics-status",
						children: query.loading ? data ? "Refreshing…" : "Loading…" : query.updatedAt ? `Updated ${formatTimestamp(new Date(query.updatedAt).toISOString()).slice(11)} · auto-refresh every ${REFRESH_INTERVAL_MS / 1e3} s` : null
					})
				]
			}),
			query.error ? /* @__PURE__ */ jsxs("div", {
				"data-testid": "flowlytics-error",
				role: "alert",
				style: errorBox,
				children: [
					/* @__PURE__ */ jsx("strong", { children: "Could not load runs" }),
					query.error instanceof ApiError ? ` (HTTP ${query.error.status})` : "",
					": ",
					query.error.message
				]
			}) : null,
			!data && query.loading ? /* @__PURE__ */ jsx("div", {
				"data-testid": "flowlytics-loading",
				style: {
					...notice,
					...muted
				},
				children: "Loading runs…"
			}) : null,
			data && data.totalCount === 0 && data.items.length === 0 ? stateFilter ? /* @__PURE__ */ jsxs("div", {
				"data-testid": "flowlytics-empty",
				"data-reason": "filter",
				style: notice,
				children: [
					"No runs with state ",
					stateFilter,
					"."
				]
			}) : /* @__PURE__ */ jsxs("div", {
				"data-testid": "flowlytics-empty",
				"data-reason": "no-runs",
				style: notice,
				children: [/* @__PURE__ */ jsxs("p", {
					style: { margin: "0 0 6px 0" },
					children: [
						"No runs received yet. Point an OpenLineage emitter at ",
						/* @__PURE__ */ jsx("code", {
							style: code,
							children: emitterUrl
						}),
						" (HTTP transport; events are posted to ",
						/* @__PURE__ */ jsx("code", {
							style: code,
							children: `${emitterUrl}api/v1/lineage`
						}),
						")."
					]
				}), /* @__PURE__ */ jsxs("p", {
					style: {
						margin: 0,
						...muted
					},
					children: [
						"For Airflow's OpenLineage provider, e.g.",
						" ",
						/* @__PURE__ */ jsx("code", {
							style: code,
							children: `AIRFLOW__OPENLINEAGE__TRANSPORT='{"type": "http", "url": "${emitterUrl}"}'`
						})
					]
				})]
			}) : null,
			data && data.items.length > 0 && visible.length === 0 ? /* @__PURE__ */ jsxs("div", {
				"data-testid": "flowlytics-empty",
				"data-reason": "dag",
				style: notice,
				children: [
					"None of the runs on this page belong to DAG ",
					/* @__PURE__ */ jsx("code", {
						style: code,
						children: dagId
					}),
					"."
				]
			}) : null,
			visible.length > 0 ? /* @__PURE__ */ jsx(RunsTable, {
				runs: visible,
				now
			}) : null,
			data && data.totalCount > 0 ? /* @__PURE__ */ jsx(Pagination, {
				offset,
				limit: 50,
				shown: data.items.length,
				total: data.totalCount,
				onChange: setOffset
			}) : null
		]
	});
}
// src/App.tsx
/**
* Root component handed to the Airflow UI (`react_apps` entry "Flowlytics").
* The host renders it as `<App dagId runId taskId mapIndex />`.
*
* Only the runs view exists so far; lineage / batch-health views will be
* added here (e.g. as tabs) and live in src/pages/.
*/
function App(props) {
	return /* @__PURE__ */ jsx(ErrorBoundary, { children: /* @__PURE__ */ jsx(RunsPage, { ...props }) });
}
// src/main.tsx
/**
* Bundle entry point (built to dist/flowlytics.js).
*
* The Airflow UI host loads plugins with
*   globalThis.AirflowPlugin = undefined;
*   await import(new URL(bundle_url, document.baseURI).href);
* and then uses globalThis["Flowlytics"] (the react_apps name), falling back to
* globalThis.AirflowPlugin; either must be a React component function. We set
* both explicitly as a side effect of evaluating this module.
*/
var pluginGlobals = globalThis;
pluginGlobals.AirflowPlugin = App;
pluginGlobals.Flowlytics = App;
var main_default = App;
export { App, main_default as default };
