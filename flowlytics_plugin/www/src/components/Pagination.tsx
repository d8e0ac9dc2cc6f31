import { formatRange } from "../lib/format";
import * as s from "./styles";

export interface PaginationProps {
  offset: number;
  limit: number;
  /** Number of items on the current page. */
  shown: number;
  total: number;
  disabled?: boolean;
  onChange: (offset: number) => void;
}

export function Pagination({ offset, limit, shown, total, disabled = false, onChange }: PaginationProps) {
  const hasPrev = offset > 0;
  const hasNext = offset + shown < total;
  const prevDisabled = disabled || !hasPrev;
  const nextDisabled = disabled || !hasNext;
  return (
    <div style={{ display: "flex", alignItems: "center", gap: "10px", marginTop: "10px" }}>
      <button
        type="button"
        data-testid="flowlytics-prev"
        style={prevDisabled ? s.buttonDisabled : s.button}
        disabled={prevDisabled}
        onClick={() => onChange(Math.max(0, offset - limit))}
      >
        ‹ Prev
      </button>
      <span data-testid="flowlytics-range" style={{ fontVariantNumeric: "tabular-nums" }}>
        {formatRange(offset, shown, total)}
      </span>
      <button
        type="button"
        data-testid="flowlytics-next"
        style={nextDisabled ? s.buttonDisabled : s.button}
        disabled={nextDisabled}
        onClick={() => onChange(offset + limit)}
      >
        Next ›
      </button>
    </div>
  );
}
