"""The base of every JSON model: camelCase on the wire (as OpenLineage and Marquez), snake_case in Python.

Below every layer, so that ingest's results and the API's answers share it without ingest importing api."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    # Every field is always sent (no exclude_none), so the response schemas say so and the UI's generated types
    # need no `?` on fields that are merely nullable.
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        json_schema_serialization_defaults_required=True,
    )
