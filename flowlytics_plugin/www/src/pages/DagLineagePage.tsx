import { LineageExplorer } from "../lineage/LineageExplorer";
import type { PluginProps } from "../types";

/** The "Lineage (DAG)" tab of a DAG page: the lineage of this DAG's datasets. */
export function DagLineagePage({ dagId }: PluginProps) {
  return <LineageExplorer key={dagId ?? ""} mode="dag" dagId={dagId} />;
}
