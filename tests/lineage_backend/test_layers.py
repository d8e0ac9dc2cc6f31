"""Layers point one way: routes -> services -> graph/ingest -> store. A lower layer never imports a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "lineage_backend"
# package -> the packages it must never import (at module level or inside a function)
FORBIDDEN = {
    "store": ("lineage_backend.api", "lineage_backend.services", "lineage_backend.ingest", "lineage_backend.graph"),
    "graph": ("lineage_backend.api", "lineage_backend.services", "lineage_backend.ingest"),
    "ingest": ("lineage_backend.api", "lineage_backend.services"),
    "analytics": ("lineage_backend.api", "lineage_backend.services"),
    "anomaly": ("lineage_backend.api", "lineage_backend.services"),
    "workflows": ("lineage_backend.api",),
    # Alerting sits beside the services (it asks them for impact and metadata) and never reaches up to routes.
    "alerting": ("lineage_backend.api",),
}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_lower_layer_never_imports_a_higher_one(layer: str) -> None:
    offences = [
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        # A data migration may run today's code (0004 backfills the rollups with ingest.rollups).
        if "migrations" not in path.parts
        for module in sorted(imported_modules(path))
        if module.startswith(FORBIDDEN[layer])
    ]
    assert offences == [], "move what they share down a layer:\n" + "\n".join(offences)
