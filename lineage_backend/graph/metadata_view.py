"""What a node's metadata is once people's edits are laid over what the facets say (pure)."""

from __future__ import annotations

from typing import Any

from lineage_backend.store.models import NodeMetadata

CRITICALITIES = ("low", "medium", "high", "critical")
FIELDS = ("owners", "criticality", "sla", "tags", "annotations", "anomaly")


def facet_metadata(facets: dict[str, Any]) -> dict[str, Any]:
    """Owners, tags, criticality and description as emitters send them (ownership/tags/documentation)."""
    owners = [str(o["name"]) for o in (facets.get("ownership") or {}).get("owners") or [] if isinstance(o, dict)]
    tags: list[str] = []
    criticality = None
    for tag in (facets.get("tags") or {}).get("tags") or []:
        if not isinstance(tag, dict) or "key" not in tag:
            continue
        key, value = str(tag["key"]), tag.get("value")
        if key.lower() == "criticality" and str(value).lower() in CRITICALITIES:
            criticality = str(value).lower()
        tags.append(key if value in (None, "", "true", True) else f"{key}:{value}")
    description = (facets.get("documentation") or {}).get("description")
    return {"owners": owners, "tags": tags, "criticality": criticality, "description": description}


def effective(facets: dict[str, Any], stored: NodeMetadata | None) -> dict[str, Any]:
    """Edited values win over facet values; unset edited values fall back to facets."""
    result = facet_metadata(facets)
    result["sla"] = None
    result["annotations"] = []
    result["anomaly"] = None
    sources = {key: "facet" for key in ("owners", "tags", "criticality") if result[key]}
    if stored is not None:
        for key in FIELDS:
            value = getattr(stored, key)
            if value is not None and (key != "annotations" or value):
                result[key] = value
                sources[key] = "user"
    result["sources"] = sources
    return result
