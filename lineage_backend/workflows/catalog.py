"""What a draft may use: events (Airflow assets, datasets Flowlytics has seen) and operations (a built-in set
plus the reviewed list the deployment configures in a Python module or a YAML file).

Matching is exact on normalised names and aliases; a near miss is never taken, it becomes "did you mean".
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

ARTICLES = {"a", "an", "the"}
# Namespaces (OpenLineage schemes) of datasets that SQL can run on.
SQL_NAMESPACES = (
    "postgres",
    "postgresql",
    "mysql",
    "sqlite",
    "mssql",
    "sqlserver",
    "oracle",
    "snowflake",
    "bigquery",
    "redshift",
    "trino",
    "duckdb",
    "databricks",
)
FILE_NAMESPACES = ("file", "s3", "s3a", "gs", "gcs", "abfs", "abfss", "wasbs", "hdfs", "ftp", "sftp")
RUNTIME = "flowlytics_plugin.workflow_runtime"
FILE_EXTENSIONS = {"csv", "json", "jsonl", "parquet", "txt", "xml", "avro", "orc", "gz", "xlsx", "tsv"}


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class CatalogEvent(_Model):
    id: str  # "asset:<name>" or a Flowlytics dataset node id
    kind: Literal["asset", "dataset"]
    name: str
    uri: str | None = None
    namespace: str | None = None
    # The Flowlytics dataset node id (dataset:<namespace>:<name>) when known; gates take it.
    dataset_id: str | None = None
    aliases: list[str] = Field(default_factory=list)


class OperationParameter(_Model):
    name: str
    description: str = ""
    required: bool = False


class CatalogOperation(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    name: str  # the phrase that calls it, e.g. "run sql"
    aliases: list[str] = Field(default_factory=list)
    description: str = ""
    # "callable": module:function called from a @task; "operator": module.Class instantiated as the task.
    kind: Literal["callable", "operator"] = "callable"
    # "package.module:function" or "package.module.Class"; imported by name in the generated DAG.
    target: str = Field(pattern=r"^[A-Za-z_][\w.]*[:.][A-Za-z_]\w*$")
    dataset: Literal["required", "optional", "none"] = "optional"
    # Dataset namespace schemes it accepts (empty: any).
    dataset_namespaces: list[str] = Field(default_factory=list)
    # Operators: the keyword that receives the dataset id(s), and whether as a list.
    dataset_argument: str | None = None
    dataset_as_list: bool = False
    parameters: list[OperationParameter] = Field(default_factory=list)
    builtin: bool = False


BUILTIN_OPERATIONS = [
    CatalogOperation(
        id="run_sql",
        name="run sql",
        aliases=["execute sql", "run query", "run the query"],
        description="Run a SQL statement on a database dataset (params: with = the statement or a file)",
        target=f"{RUNTIME}:run_sql",
        dataset="required",
        dataset_namespaces=list(SQL_NAMESPACES),
        builtin=True,
    ),
    CatalogOperation(
        id="copy_file",
        name="copy file",
        aliases=["copy", "copy files", "copy the file"],
        description="Copy a file dataset to a destination (to <place>)",
        target=f"{RUNTIME}:copy_file",
        dataset="required",
        dataset_namespaces=list(FILE_NAMESPACES),
        parameters=[OperationParameter(name="to", description="destination", required=True)],
        builtin=True,
    ),
    CatalogOperation(
        id="call_http",
        name="call http",
        aliases=["call", "call the api", "call api", "post to"],
        description="Call an HTTP endpoint (the words after it name the endpoint or connection)",
        target=f"{RUNTIME}:call_http",
        dataset="none",
        builtin=True,
    ),
    CatalogOperation(
        id="notify",
        name="notify",
        description="Tell an owner (a person, team or channel); ends the branch",
        target=f"{RUNTIME}:notify",
        dataset="none",
        builtin=True,
    ),
    CatalogOperation(
        id="wait_for_health",
        name="wait for dataset health",
        aliases=["wait for health", "wait until healthy", "wait for healthy"],
        description="Flowlytics' UpstreamHealthSensor: wait until the dataset was written recently and cleanly",
        kind="operator",
        target="flowlytics_plugin.gates.UpstreamHealthSensor",
        dataset="required",
        dataset_argument="dataset_ids",
        dataset_as_list=True,
        builtin=True,
    ),
    CatalogOperation(
        id="impact_gate",
        name="impact gate",
        aliases=["check impact", "gate on impact", "check downstream impact"],
        description="Flowlytics' ImpactGateOperator: stop when a change would break critical consumers",
        kind="operator",
        target="flowlytics_plugin.gates.ImpactGateOperator",
        dataset="required",
        dataset_argument="node_ids",
        dataset_as_list=True,
        builtin=True,
    ),
]


class CatalogConfigError(ValueError):
    """The deployment's operation list cannot be read; the message says where and why."""


def _add(index: dict[str, list[CatalogEvent]], name: str, event: CatalogEvent) -> None:
    events = index.setdefault(name, [])
    if event not in events:
        events.append(event)


def normalise(text: str) -> str:
    """Lower case, separators to spaces, articles dropped: "The Order_File" → "order file"."""
    words = re.split(r"[\s_\-]+", text.strip().strip('"').lower())
    return " ".join(word for word in words if word and word not in ARTICLES)


def snake(text: str, fallback: str = "x") -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", normalise(text)).strip("_")
    if not slug or slug[0].isdigit():
        slug = f"{fallback}_{slug}".strip("_")
    return slug


class Catalog:
    def __init__(self, events: Sequence[CatalogEvent] = (), operations: Sequence[CatalogOperation] = ()) -> None:
        self.events = list(events)
        self.operations = [*BUILTIN_OPERATIONS, *operations]
        # Full names (name, id, URI, aliases) first, then short ones (last part of a path or table name); a
        # short name that several events share names none of them: it is reported, never guessed.
        self._full_names: dict[str, list[CatalogEvent]] = {}
        self._short_names: dict[str, list[CatalogEvent]] = {}
        for event in self.events:
            for name in self._full_keys(event):
                _add(self._full_names, name, event)
            for name in self._short_keys(event):
                _add(self._short_names, name, event)
        self._event_names = {name: events[0] for name, events in {**self._short_names, **self._full_names}.items()}
        self._operation_names: dict[str, CatalogOperation] = {}
        for operation in self.operations:
            for name in (operation.name, *operation.aliases, operation.id):
                self._operation_names.setdefault(normalise(name), operation)
        self.operations_by_id = {operation.id: operation for operation in self.operations}
        self.events_by_id = {event.id: event for event in self.events}

    @staticmethod
    def _full_keys(event: CatalogEvent) -> Iterable[str]:
        yield normalise(event.name)
        yield normalise(event.id)
        if event.uri:
            yield normalise(event.uri)
        for alias in event.aliases:
            yield normalise(alias)

    @staticmethod
    def _short_keys(event: CatalogEvent) -> Iterable[str]:
        # The last part of a path or a dotted table name: /data/invoices.csv → invoices.csv, invoices;
        # shop.public.orders → orders.
        segment = re.split(r"[/:]", event.name.rstrip("/"))[-1]
        if segment:
            yield normalise(segment)
            stem, _, last = segment.rpartition(".")
            if stem:
                yield normalise(stem if last.lower() in FILE_EXTENSIONS else last)

    def event_matches(self, phrase: str) -> list[CatalogEvent]:
        """Every event the phrase names: one is a match, several an ambiguity."""
        key = normalise(phrase)
        return self._full_names.get(key) or self._short_names.get(key) or []

    def find_event(self, phrase: str) -> CatalogEvent | None:
        matches = self.event_matches(phrase)
        return matches[0] if len(matches) == 1 else None

    def event_suggestions(self, phrase: str) -> list[str]:
        """Close names, one per event; ids and URIs are matched exactly but never suggested."""
        names = [key for key in self._event_names if not re.match(r"^(asset|dataset):|^\w+:/", key)]
        found: list[str] = []
        events: set[str] = set()
        key = normalise(phrase)
        exact = self.event_matches(phrase)
        if len(exact) > 1:  # ambiguous: the full names of every candidate
            return [f'"{event.id}"' for event in exact][:5]
        for name in difflib.get_close_matches(key, names, n=6, cutoff=0.6):
            event = self._event_names[name]
            if event.id not in events:
                events.add(event.id)
                found.append(name)
        return found[:3]

    def match_operation(self, words: Sequence[str]) -> tuple[CatalogOperation | None, int]:
        """The operation named by the longest prefix of `words`, and how many words it took."""
        cleaned = [word.lower() for word in words]
        for size in range(len(cleaned), 0, -1):
            operation = self._operation_names.get(normalise(" ".join(cleaned[:size])))
            if operation is not None:
                return operation, size
        return None, 0

    def operation_suggestions(self, phrase: str) -> list[str]:
        close = difflib.get_close_matches(normalise(phrase), list(self._operation_names), n=6, cutoff=0.5)
        names: list[str] = []
        for name in close:
            canonical = self._operation_names[name].name
            if canonical not in names:
                names.append(canonical)
        return names[:3]


# The deployment's reviewed operations: `[flowlytics] workflow_operations` / FLOWLYTICS_WORKFLOW_OPERATIONS is
# a YAML file (`operations: [...]`) or a Python module path whose OPERATIONS is a list of the same dicts.


def load_operations(source: str | None) -> list[CatalogOperation]:
    if not source:
        return []
    raw: Any
    if source.endswith((".yaml", ".yml", ".json")) or os.sep in source or "/" in source:
        path = Path(source)
        if not path.is_file():
            raise CatalogConfigError(f"workflow operations file {source} does not exist")
        import yaml

        try:
            raw = yaml.safe_load(path.read_text())
        except yaml.YAMLError as error:
            raise CatalogConfigError(f"workflow operations file {source} is not valid YAML: {error}") from None
        raw = raw.get("operations") if isinstance(raw, dict) else raw
    else:
        try:
            module = importlib.import_module(source)
        except ImportError as error:
            raise CatalogConfigError(f"workflow operations module {source} cannot be imported: {error}") from None
        raw = getattr(module, "OPERATIONS", None)
    if not isinstance(raw, list):
        raise CatalogConfigError(
            f"{source} must hold a list of operations (`operations:` in YAML, OPERATIONS in Python)"
        )
    operations = []
    builtin_ids = {operation.id for operation in BUILTIN_OPERATIONS}
    for index, item in enumerate(raw):
        try:
            operation = CatalogOperation.model_validate(item)
        except ValidationError as error:
            raise CatalogConfigError(f"{source}: operation #{index + 1}: {error}") from None
        if operation.id in builtin_ids:
            raise CatalogConfigError(f"{source}: operation id {operation.id!r} is built in; choose another id")
        operations.append(operation.model_copy(update={"builtin": False}))
    return operations


def load_events(path: Path) -> list[CatalogEvent]:
    """Events from a YAML/JSON file: a list, `{events: [...]}`, or a saved GET /api/v1/workflows/catalog answer."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise CatalogConfigError(f"events file {path} is not valid YAML or JSON: {error}") from None
    items = raw.get("events") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise CatalogConfigError(f"events file {path} must hold a list of events (or {{events: [...]}})")
    events = []
    for index, item in enumerate(items):
        try:
            events.append(CatalogEvent.model_validate(item))
        except ValidationError as error:
            raise CatalogConfigError(f"{path}: event #{index + 1}: {error}") from None
    return events
