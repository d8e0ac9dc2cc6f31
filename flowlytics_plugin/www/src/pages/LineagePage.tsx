import { LineageExplorer } from "../lineage/LineageExplorer";
import type { PluginProps } from "../types";

/** The "Lineage" nav page: search, graph, side panel; the selection lives in the URL (`?node=`). */
export function LineagePage(_props: PluginProps) {
  return <LineageExplorer mode="page" />;
}
