"""The custom OpenLineage run facet that Flowlytics reads for load and validation counts."""

from __future__ import annotations

import attr
from openlineage.client.facet_v2 import RunFacet

# Where the facet's JSON schema is published; receivers key on the facet name, not on this URL.
SCHEMA_URL = "https://github.com/flowlytics/flowlytics/blob/main/docs/facets/FlowlyticsStatsRunFacet.json"


@attr.define
class FlowlyticsStatsRunFacet(RunFacet):
    """Sent as run facet `flowlytics_stats`: what a load or validation step did to rows.

    Field names are camelCase as in OpenLineage; counts left as None are omitted from the event
    (unknown is not zero)."""

    rowsInserted: int | None = attr.field(default=None)
    rowsUpdated: int | None = attr.field(default=None)
    rowsInvalid: int | None = attr.field(default=None)
    dqFailedRows: int | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_URL
