"""Checks that the committed UI bundle (flowlytics_plugin/www/dist) is present,
loadable by the Airflow UI, and was built from the current sources.

Runs without Node: the source fingerprint is recomputed here exactly as
``flowlytics_plugin/www/scripts/write-manifest.mjs`` computes it during
``npm run build`` and compared with ``dist/manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

WWW = Path(__file__).resolve().parents[2] / "flowlytics_plugin" / "www"
DIST = WWW / "dist"
BUNDLE = DIST / "flowlytics.js"
MANIFEST = DIST / "manifest.json"

# The lazily loaded `mermaid` chunks (vite.config.ts puts every chunk that only the dynamic import reaches
# there): third-party code that is exempt from the innerHTML ban, by this folder name only.
LAZY_MERMAID_DIR = "mermaid/"
RAW_HTML_SINKS = ("dangerouslySetInnerHTML", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write")

REBUILD_HINT = "run `npm ci && npm run build` in flowlytics_plugin/www and commit dist/"

# Keep in sync with scripts/write-manifest.mjs.
INPUT_FILES = ("package.json", "package-lock.json", "tsconfig.json", "vite.config.ts")
INPUT_DIRS = ("src",)


def _normalized_bytes(path: Path) -> bytes:
    return path.read_bytes().replace(b"\r\n", b"\n")


def _list_inputs(root: Path) -> list[str]:
    files: list[str] = []
    for rel in INPUT_FILES:
        path = root / rel
        assert path.is_file() and not path.is_symlink(), f"missing build input {rel}"
        files.append(rel)

    def walk(rel_dir: str) -> None:
        with os.scandir(root / rel_dir) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                rel = f"{rel_dir}/{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    walk(rel)
                elif entry.is_file(follow_symlinks=False):
                    files.append(rel)

    for rel_dir in INPUT_DIRS:
        walk(rel_dir)
    return sorted(files, key=lambda rel: rel.encode("utf-8"))


def compute_source_fingerprint(root: Path) -> tuple[str, dict[str, str]]:
    """sha256 over ``relpath \\0 content \\0`` of every input, sorted by UTF-8 relpath."""
    total = hashlib.sha256()
    per_file: dict[str, str] = {}
    for rel in _list_inputs(root):
        content = _normalized_bytes(root / rel)
        total.update(rel.encode("utf-8"))
        total.update(b"\0")
        total.update(content)
        total.update(b"\0")
        per_file[rel] = hashlib.sha256(content).hexdigest()
    return total.hexdigest(), per_file


def _load_manifest() -> dict:
    assert MANIFEST.is_file(), f"{MANIFEST.relative_to(WWW.parent.parent)} is missing: {REBUILD_HINT}"
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def test_bundle_exists_and_is_non_trivial() -> None:
    assert BUNDLE.is_file(), f"dist/flowlytics.js is missing: {REBUILD_HINT}"
    assert BUNDLE.stat().st_size > 5_000, "dist/flowlytics.js is suspiciously small"


def test_bundle_registers_airflow_plugin_component() -> None:
    text = BUNDLE.read_text(encoding="utf-8")
    # Every react_apps entry of the plugin loads this bundle with its own `?view=`; the host then reads
    # globalThis[<entry name>], falling back to globalThis.AirflowPlugin, and requires a function. The
    # module sets AirflowPlugin to the component of the view its URL names, and every entry name.
    assert re.search(r"\.AirflowPlugin\s*=", text), "bundle must assign a component to AirflowPlugin"
    assert "import.meta.url" in text, "bundle must read ?view= from its own URL"
    for name in (
        "Flowlytics",
        "Lineage",
        "Lineage (DAG)",
        "Inputs & outputs",
        "Batch Health",
        "Batch health (run)",
        "Latest batches",
        "Workflow drafts",
        "Analytics",
        "Analytics (DAG)",
    ):
        assert f"`{name}`" in text or f'"{name}"' in text, f"bundle must register the react_apps entry {name!r}"
    for view in (
        "runs",
        "lineage",
        "dag-lineage",
        "task-io",
        "batch-health",
        "batch-run",
        "batch-widget",
        "workflow-drafts",
        "analytics",
        "dag-analytics",
    ):
        assert f"`{view}`" in text or f'"{view}"' in text, f"bundle must know the view {view!r}"


def test_bundle_uses_host_react_and_has_no_bare_imports() -> None:
    text = BUNDLE.read_text(encoding="utf-8")
    # A browser cannot resolve bare specifiers such as `import ... from "react"`.
    bare = [
        (rel, specifier)
        for rel in _dist_files()
        if rel.endswith(".js")
        for specifier in _static_imports((DIST / rel).read_text(encoding="utf-8"))
        if not specifier.startswith(("./", "../"))
    ]
    assert not bare, f"bundle contains bare imports {bare}; react* must be mapped to host globals"
    for host_global in ("React", "ReactJSXRuntime", "ReactDOM"):
        assert re.search(rf"globalThis\.{host_global}\b", text), f"bundle must use the host's globalThis.{host_global}"
    # React itself must not be bundled (two Reacts break hooks in the host).
    for marker in ("__CLIENT_INTERNALS_DO_NOT_USE_OR_WARN_USERS_THEY_CANNOT_UPGRADE", "react.production"):
        assert marker not in text, f"bundle appears to include React itself ({marker})"


def _dist_files() -> list[str]:
    """Every file below dist/ but manifest.json, relative with "/" separators."""
    return sorted(
        path.relative_to(DIST).as_posix()
        for path in DIST.rglob("*")
        if path.is_file() and path.name != "manifest.json" and not path.name.startswith(".")
    )


def test_bundle_never_injects_raw_html() -> None:
    checked = [rel for rel in _dist_files() if not rel.startswith(LAZY_MERMAID_DIR)]
    assert "flowlytics.js" in checked
    for rel in checked:
        text = (DIST / rel).read_text(encoding="utf-8")
        for sink in RAW_HTML_SINKS:
            assert sink not in text, (
                f"dist/{rel} uses {sink}; untrusted OpenLineage names must be rendered as text "
                "(only the lazily loaded dist/mermaid/ chunks are exempt)"
            )


def _static_imports(text: str) -> list[str]:
    """Specifiers of the module's import/export-from statements (minified: at a statement start)."""
    statement = r"""(?:^|[;\n}])\s*(?:import|export)\s*(?:[\w$*{},\s]*?from\s*)?["']([^"'`]+)["']"""
    return re.findall(statement, text)


def test_mermaid_is_loaded_lazily_and_relative_to_the_bundle() -> None:
    files = _dist_files()
    lazy = [rel for rel in files if rel.startswith(LAZY_MERMAID_DIR)]
    assert any(rel.startswith("mermaid/mermaid.core-") for rel in lazy), f"no lazy mermaid chunk in dist/: {files}"
    # Nothing that flowlytics.js loads at once reaches a mermaid chunk: the page pays for it only when it draws.
    for rel in (rel for rel in files if not rel.startswith(LAZY_MERMAID_DIR)):
        imports = _static_imports((DIST / rel).read_text(encoding="utf-8"))
        assert not [i for i in imports if "mermaid/" in i], f"dist/{rel} imports a mermaid chunk statically: {imports}"
    bundle = BUNDLE.read_text(encoding="utf-8")
    dynamic = re.findall(r"""import\(\s*[`"']([^`"']+)[`"']\s*\)""", bundle)
    assert dynamic, "flowlytics.js must import mermaid with import()"
    for specifier in dynamic:
        # Relative to the module's own URL (/flowlytics/static/flowlytics.js in Airflow), never to the page.
        assert specifier.startswith("./"), f"lazy import {specifier!r} must be relative to the bundle"
        assert (DIST / specifier[2:]).is_file(), f"lazy import {specifier!r} names no file in dist/"
    # Every chunk a chunk imports exists (relative to the importing chunk).
    for rel in files:
        if not rel.endswith(".js"):
            continue
        for specifier in _static_imports((DIST / rel).read_text(encoding="utf-8")):
            if specifier.startswith("."):
                target = (DIST / rel).parent / specifier
                assert target.resolve().is_file(), f"dist/{rel} imports {specifier}, which is not in dist/"


def test_manifest_lists_every_file_in_dist() -> None:
    manifest = _load_manifest()
    outputs: dict[str, dict[str, object]] = manifest.get("outputs", {})
    files = _dist_files()
    assert sorted(outputs) == files, (
        f"dist/ and dist/manifest.json differ (missing: {sorted(set(files) - set(outputs))}, "
        f"extra: {sorted(set(outputs) - set(files))}): {REBUILD_HINT}"
    )
    for rel in files:
        content = _normalized_bytes(DIST / rel)
        assert outputs[rel]["sha256"] == hashlib.sha256(content).hexdigest(), (
            f"dist/{rel} does not match dist/manifest.json: {REBUILD_HINT}"
        )
        assert outputs[rel]["bytes"] == len(content)


def test_the_plugin_serves_the_lazy_chunks() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from starlette.staticfiles import StaticFiles

    from flowlytics_plugin.app import BUNDLE_DIR

    # The same mount as create_plugin_app (which needs Airflow's config), under the plugin's prefix.
    app = FastAPI()
    app.mount("/flowlytics/static", StaticFiles(directory=BUNDLE_DIR), name="static")
    lazy = next(rel for rel in _dist_files() if rel.startswith("mermaid/mermaid.core-"))
    with TestClient(app) as client:
        for rel in ("flowlytics.js", lazy):
            response = client.get(f"/flowlytics/static/{rel}")
            assert response.status_code == 200, rel
            assert "javascript" in response.headers["content-type"], response.headers["content-type"]
            assert response.content == (DIST / rel).read_bytes()


def test_bundle_matches_manifest() -> None:
    manifest = _load_manifest()
    bundle = _normalized_bytes(BUNDLE)
    assert manifest["bundle"]["path"] == "flowlytics.js"
    assert manifest["bundle"]["sha256"] == hashlib.sha256(bundle).hexdigest(), (
        f"dist/flowlytics.js does not match dist/manifest.json (edited by hand or partial build): {REBUILD_HINT}"
    )


def test_bundle_is_fresh() -> None:
    manifest = _load_manifest()
    fingerprint, per_file = compute_source_fingerprint(WWW)
    if fingerprint == manifest["sourceSha256"]:
        return
    recorded: dict[str, str] = manifest.get("files", {})
    changed = sorted(rel for rel in per_file.keys() & recorded.keys() if per_file[rel] != recorded[rel])
    added = sorted(per_file.keys() - recorded.keys())
    removed = sorted(recorded.keys() - per_file.keys())
    details = "; ".join(
        f"{label}: {', '.join(names)}"
        for label, names in (("changed", changed), ("added", added), ("removed", removed))
        if names
    )
    pytest.fail(
        "The committed UI bundle flowlytics_plugin/www/dist/ is stale: its sources changed "
        f"since it was built ({details or 'fingerprint differs'}). To fix, {REBUILD_HINT}.",
        pytrace=False,
    )
