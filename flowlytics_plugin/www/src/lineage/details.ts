/**
 * Pure helpers for the side panel: schema from facets, per-run row counts.
 */
import type { DetailRun, NodeDetails, SchemaField } from "./types";
import { isObj } from "../api/coerce";


/**
 * Fields of the OpenLineage `schema` dataset facet, nested struct fields
 * flattened with dotted names (`address.city`). At most `max` fields.
 */
export function schemaFields(facets: Record<string, unknown>, max = 2_000): SchemaField[] {
  const out: SchemaField[] = [];
  const schema = facets.schema;
  if (!isObj(schema) || !Array.isArray(schema.fields)) return out;
  const walk = (fields: unknown[], prefix: string, depth: number) => {
    for (const f of fields) {
      if (out.length >= max || !isObj(f) || f.name === undefined || f.name === null) continue;
      const name = `${prefix}${String(f.name)}`;
      out.push({
        name,
        type: f.type === undefined || f.type === null ? null : String(f.type),
        description: f.description === undefined || f.description === null ? null : String(f.description),
      });
      if (Array.isArray(f.fields) && depth < 10) walk(f.fields, `${name}.`, depth + 1);
    }
  };
  walk(schema.fields, "", 0);
  return out;
}

function sum(values: Array<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

export interface RunRows {
  /** Rows read (sum over inputs) - jobs. */
  read: number | null;
  /** Rows written: for a dataset, into that dataset; for a job, summed over its outputs. */
  written: number | null;
}

/** Row counts of one run as seen from `details` (a job or a dataset). */
export function runRows(run: DetailRun, details: Pick<NodeDetails, "type" | "namespace" | "name">): RunRows {
  if (details.type === "DATASET") {
    const mine = run.outputs.filter((o) => o.namespace === details.namespace && o.name === details.name);
    return { read: null, written: sum((mine.length > 0 ? mine : run.outputs).map((o) => o.rowCount)) };
  }
  return { read: sum(run.inputs.map((i) => i.rowCount)), written: sum(run.outputs.map((o) => o.rowCount)) };
}

/** Facet names, alphabetical, without the schema (shown as a table). */
export function facetNames(facets: Record<string, unknown>): string[] {
  return Object.keys(facets).sort();
}

/** Pretty JSON for the collapsible facet view, capped so a huge facet cannot freeze the page. */
export function facetJson(value: unknown, maxChars = 20_000): string {
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > maxChars ? `${text.slice(0, maxChars)}\n… (${text.length - maxChars} more characters)` : text;
}
