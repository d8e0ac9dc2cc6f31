"""JSON responses for answers that services build as JSON-ready dicts (large graphs and impact lists)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response

# As pydantic writes them: UTC datetimes end in "Z".
_OPTIONS = orjson.OPT_UTC_Z


def json_document(document: dict[str, Any]) -> Response:
    """Send a document already shaped as the route's response model (its camelCase JSON form), skipping
    FastAPI's dump-validate-dump of every item; the route's response_model still documents it."""
    return Response(orjson.dumps(document, option=_OPTIONS), media_type="application/json")
