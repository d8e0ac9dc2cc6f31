"""The corpus catalog and cases, shared by the workflow tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lineage_backend.workflows.catalog import Catalog, CatalogEvent, CatalogOperation

CORPUS = Path(__file__).resolve().parent / "corpus"


def corpus_catalog() -> Catalog:
    raw = yaml.safe_load((CORPUS / "catalog.yaml").read_text())
    return Catalog(
        [CatalogEvent.model_validate(item) for item in raw["events"]],
        [CatalogOperation.model_validate(item) for item in raw["operations"]],
    )


def cases(name: str) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = yaml.safe_load((CORPUS / name).read_text())
    return loaded
