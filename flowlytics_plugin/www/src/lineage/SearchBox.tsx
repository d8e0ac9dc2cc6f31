import { useEffect, useId, useRef, useState } from "react";
import { searchNodes } from "../api/lineage";
import * as s from "../components/styles";
import type { SearchItem } from "./types";

export const SEARCH_DEBOUNCE_MS = 250;
export const SEARCH_LIMIT = 20;

export interface SearchBoxProps {
  onPick: (item: SearchItem) => void;
  autoFocus?: boolean;
}

/** Debounced search of jobs and datasets (`GET search`), with a keyboard-navigable result list. */
export function SearchBox({ onPick, autoFocus = false }: SearchBoxProps) {
  const [text, setText] = useState("");
  const [type, setType] = useState<"" | "job" | "dataset">("");
  const [items, setItems] = useState<SearchItem[]>([]);
  const [total, setTotal] = useState(0);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [status, setStatus] = useState<"idle" | "loading" | "error">("idle");
  const [error, setError] = useState("");
  const listId = useId();
  const boxRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const q = text.trim();
    if (q === "") {
      setItems([]);
      setTotal(0);
      setStatus("idle");
      return undefined;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      setStatus("loading");
      searchNodes(q, type, SEARCH_LIMIT, controller.signal).then(
        (res) => {
          setItems(res.items);
          setTotal(res.totalCount);
          setActive(0);
          setStatus("idle");
        },
        (err: unknown) => {
          if (controller.signal.aborted) return;
          setStatus("error");
          setError(err instanceof Error ? err.message : String(err));
        },
      );
    }, SEARCH_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [text, type]);

  useEffect(() => {
    const onDocClick = (event: MouseEvent) => {
      if (boxRef.current && !boxRef.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDocClick);
    return () => document.removeEventListener("mousedown", onDocClick);
  }, []);

  const pick = (item: SearchItem) => {
    setOpen(false);
    onPick(item);
  };

  return (
    <div ref={boxRef} style={{ position: "relative", display: "flex", gap: "6px", alignItems: "center" }}>
      <input
        type="search"
        data-testid="flowlytics-search"
        role="combobox"
        aria-expanded={open && text.trim() !== ""}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-label="Search jobs and datasets"
        placeholder="Search jobs and datasets…"
        autoFocus={autoFocus}
        value={text}
        style={{ ...s.select, width: "340px" }}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setOpen(true);
            setActive((a) => Math.min(items.length - 1, a + 1));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((a) => Math.max(0, a - 1));
          } else if (e.key === "Enter") {
            if (items[active]) {
              e.preventDefault();
              pick(items[active]);
            }
          } else if (e.key === "Escape") {
            setOpen(false);
          }
        }}
      />
      <select
        aria-label="Search in"
        data-testid="flowlytics-search-type"
        style={s.select}
        value={type}
        onChange={(e) => setType(e.target.value as "" | "job" | "dataset")}
      >
        <option value="">All</option>
        <option value="dataset">Datasets</option>
        <option value="job">Jobs</option>
      </select>
      {open && text.trim() !== "" ? (
        <div
          id={listId}
          role="listbox"
          data-testid="flowlytics-search-results"
          style={{
            position: "absolute",
            top: "100%",
            left: 0,
            zIndex: 20,
            width: "520px",
            maxHeight: "420px",
            overflowY: "auto",
            marginTop: "4px",
            background: "Canvas",
            color: "CanvasText",
            border: `1px solid ${s.tint(30)}`,
            borderRadius: "6px",
            boxShadow: "0 6px 20px rgba(0,0,0,0.18)",
          }}
        >
          {status === "loading" && items.length === 0 ? <div style={{ padding: "8px 10px", ...s.muted }}>Searching…</div> : null}
          {status === "error" ? (
            <div role="alert" style={{ padding: "8px 10px", color: "#b91c1c" }}>
              Search failed: {error}
            </div>
          ) : null}
          {status === "idle" && items.length === 0 ? <div style={{ padding: "8px 10px", ...s.muted }}>No match.</div> : null}
          {items.map((item, i) => (
            <div
              key={item.id}
              role="option"
              aria-selected={i === active}
              className="flowlytics-search-item"
              data-testid="flowlytics-search-result"
              data-node-id={item.id}
              style={{ padding: "6px 10px", cursor: "pointer", borderBottom: `1px solid ${s.tint(8)}` }}
              onMouseEnter={() => setActive(i)}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(item)}
            >
              <span style={{ fontSize: "10px", fontWeight: 700, opacity: 0.7, marginRight: "6px" }}>{item.type}</span>
              <span style={{ fontWeight: 500, wordBreak: "break-all" }}>{item.name}</span>
              <div style={s.namespace}>{item.namespace}</div>
            </div>
          ))}
          {total > items.length ? (
            <div style={{ padding: "6px 10px", ...s.muted, fontSize: "12px" }}>
              {total - items.length} more: refine the search.
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
