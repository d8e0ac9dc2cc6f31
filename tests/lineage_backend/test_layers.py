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


def imported_modules(path: Path, package: Path = PACKAGE) -> set[str]:
    """Every module a file imports, at module level or inside a function, as absolute names: relative imports
    resolved against the file's package, and `from a import b` counted as `a.b` too (b may be a module)."""
    here = list(path.relative_to(package.parent).with_suffix("").parts)
    if here[-1] == "__init__":
        here.pop()
    else:
        here.pop()  # a module's package
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def is_under(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def test_the_walker_sees_every_kind_of_import(tmp_path: Path) -> None:
    """Relative imports, `from lineage_backend import <package>` and imports inside a function all count."""
    layer = tmp_path / "lineage_backend" / "graph"
    layer.mkdir(parents=True)
    module = layer / "offender.py"
    module.write_text(
        "from lineage_backend import services\n"
        "from ..api import deps\n"
        "from . import traversal\n"
        "def later():\n"
        "    import lineage_backend.api.routes.graph\n"
    )
    found = imported_modules(module, tmp_path / "lineage_backend")
    assert {"lineage_backend.services", "lineage_backend.api.deps", "lineage_backend.graph.traversal"} <= found
    assert "lineage_backend.api.routes.graph" in found
    assert [m for m in sorted(found) if is_under(m, FORBIDDEN["graph"])] == [
        "lineage_backend.api",
        "lineage_backend.api.deps",
        "lineage_backend.api.routes.graph",
        "lineage_backend.services",
    ]
    assert not is_under("lineage_backend.apiary", ("lineage_backend.api",))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_lower_layer_never_imports_a_higher_one(layer: str) -> None:
    offences = [
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        # A data migration may run today's code (0004 backfills the rollups with ingest.rollups).
        if "migrations" not in path.parts
        for module in sorted(imported_modules(path))
        if is_under(module, FORBIDDEN[layer])
    ]
    assert offences == [], "move what they share down a layer:\n" + "\n".join(offences)
