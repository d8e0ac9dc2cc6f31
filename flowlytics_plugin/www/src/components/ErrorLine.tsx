import { ApiError } from "../api/client";
import * as s from "./styles";

/** One line saying what could not be loaded and why (with the HTTP status when the API answered). */
export function ErrorLine({ what, error }: { what: string; error: Error }) {
  return (
    <div role="alert" style={{ ...s.errorBox, padding: "6px 10px", fontSize: "12px" }}>
      Could not load {what}
      {error instanceof ApiError ? ` (HTTP ${error.status})` : ""}: {error.message}
    </div>
  );
}
