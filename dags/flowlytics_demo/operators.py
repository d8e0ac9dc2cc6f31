"""An operator that runs one CSV step and tells OpenLineage exactly what it read and wrote.

The Airflow OpenLineage provider calls `get_openlineage_facets_on_start` before `execute` and
`get_openlineage_facets_on_complete` after it, on the same operator instance in the task process; with no
`..._on_failure` method it uses the complete one for FAIL events too, so a failed step still reports the
inputs (and row counts) it read before failing. OpenLineage imports stay inside methods: DAG files import
this module, and parsing must stay fast and work even where the provider is not installed.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from flowlytics_demo.steps import Check, Columns, StepFailedError, StepResult, Table, data_dir

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage
    from airflow.sdk import Context

FILE_NAMESPACE = "file"  # OpenLineage naming for local files: namespace "file", name = absolute path

Step = Callable[[Mapping[str, Table]], StepResult]


@dataclass(frozen=True)
class FileStats:
    rows: int
    size: int
    columns: Columns


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, table: Table) -> FileStats:
    """Write atomically, so that a reader (or a concurrent demo run) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [name for name, _ in table.columns]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=names, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(table.rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return FileStats(rows=len(table.rows), size=path.stat().st_size, columns=table.columns)


class CsvStepOperator(BaseOperator):
    """Read `reads` (paths relative to the demo data dir), run `step`, write what it returns.

    :param step: pure function from the input tables to a `StepResult`.
    :param reads: input files, reported as OpenLineage inputs with `inputStatistics`.
    :param writes: output files the step may write, reported as outputs with `outputStatistics`.
    :param merge_into: an output the step updates in place; read first and passed to the step, but not
        reported as an input (a merge target is the job's output, not its source).
    :param prepare: called with the data dir before reading, e.g. to simulate a source system's drop.
    :param columns: declared column types by path, for the `schema` facet of inputs.
    """

    ui_color = "#d9f0ec"

    def __init__(
        self,
        *,
        step: Step,
        reads: Sequence[str] = (),
        writes: Sequence[str] = (),
        merge_into: str | None = None,
        prepare: Callable[[Path], Mapping[str, Table]] | None = None,
        columns: Mapping[str, Columns] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.step = step
        self.reads = list(reads)
        self.writes = list(writes)
        self.merge_into = merge_into
        self.prepare = prepare
        self.columns = dict(columns or {})
        self._read: dict[str, FileStats] = {}
        self._written: dict[str, FileStats] = {}
        self._checks: dict[str, list[Check]] = {}
        self._result: StepResult | None = None

    def execute(self, context: Context) -> dict[str, dict[str, int]]:
        base = data_dir()
        if self.prepare is not None:
            for rel, table in self.prepare(base).items():
                write_csv(base / rel, table)
        tables: dict[str, Table] = {}
        for rel in self.reads:
            path = base / rel
            rows = read_csv(path)
            columns = self.columns.get(rel) or [(name, "VARCHAR") for name in (rows[0] if rows else {})]
            tables[rel] = Table(columns, rows)
            # Recorded before the step runs, so the FAIL event of a failing step still has its inputs.
            self._read[rel] = FileStats(rows=len(rows), size=path.stat().st_size, columns=columns)
        if self.merge_into and (base / self.merge_into).exists():
            tables[self.merge_into] = Table([], read_csv(base / self.merge_into))
        try:
            result = self.step(tables)
        except StepFailedError as error:
            self._checks = error.checks
            raise
        unexpected = set(result.outputs) - set(self.writes)
        if unexpected:
            raise ValueError(f"{self.task_id}: step wrote {sorted(unexpected)}, not declared in writes=")
        for rel, table in result.outputs.items():
            self._written[rel] = write_csv(base / rel, table)
        self._checks = result.checks
        self._result = result
        self.log.info(
            "read %s, wrote %s",
            {rel: stats.rows for rel, stats in self._read.items()},
            {rel: stats.rows for rel, stats in self._written.items()},
        )
        return {
            "read": {rel: stats.rows for rel, stats in self._read.items()},
            "written": {rel: stats.rows for rel, stats in self._written.items()},
        }

    # OpenLineage -------------------------------------------------------------------------------------

    def get_openlineage_facets_on_start(self) -> OperatorLineage:
        from airflow.providers.openlineage.extractors import OperatorLineage
        from openlineage.client.event_v2 import InputDataset, OutputDataset

        base = data_dir()
        return OperatorLineage(
            inputs=[InputDataset(namespace=FILE_NAMESPACE, name=str(base / rel)) for rel in self.reads],
            outputs=[OutputDataset(namespace=FILE_NAMESPACE, name=str(base / rel)) for rel in self.writes],
        )

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        from airflow.providers.openlineage.extractors import OperatorLineage
        from openlineage.client.event_v2 import InputDataset, OutputDataset
        from openlineage.client.facet_v2 import (
            data_quality_assertions_dataset,
            input_statistics_input_dataset,
            output_statistics_output_dataset,
        )

        from flowlytics_demo.facets import FlowlyticsStatsRunFacet

        base = data_dir()
        inputs = []
        for rel, stats in self._read.items():
            input_facets: dict[str, Any] = {
                "inputStatistics": input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
                    rowCount=stats.rows, size=stats.size
                )
            }
            if self._checks.get(rel):
                input_facets["dataQualityAssertions"] = (
                    data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
                        assertions=[
                            data_quality_assertions_dataset.Assertion(
                                assertion=check.name,
                                success=check.success,
                                column=check.column,
                                expected=check.expected,
                                actual=check.actual,
                                severity="error",
                            )
                            for check in self._checks[rel]
                        ]
                    )
                )
            inputs.append(
                InputDataset(
                    namespace=FILE_NAMESPACE,
                    name=str(base / rel),
                    facets={"schema": _schema(stats.columns)},
                    inputFacets=input_facets,
                )
            )
        outputs = [
            OutputDataset(
                namespace=FILE_NAMESPACE,
                name=str(base / rel),
                facets={"schema": _schema(stats.columns)},
                outputFacets={
                    "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                        rowCount=stats.rows, size=stats.size, fileCount=1
                    )
                },
            )
            for rel, stats in self._written.items()
        ]
        run_facets: dict[str, Any] = {}
        result = self._result
        if result is not None:
            run_facets["flowlytics_stats"] = FlowlyticsStatsRunFacet(
                rowsInserted=result.rows_inserted,
                rowsUpdated=result.rows_updated,
                rowsInvalid=result.rows_invalid,
                dqFailedRows=result.dq_failed_rows,
            )
        elif self._checks:
            # Failed validation: the rows behind the failed assertions are the data-quality damage.
            failed = sum(
                int(check.actual or 0) for checks in self._checks.values() for check in checks if not check.success
            )
            run_facets["flowlytics_stats"] = FlowlyticsStatsRunFacet(rowsInvalid=failed, dqFailedRows=failed)
        return OperatorLineage(inputs=inputs, outputs=outputs, run_facets=run_facets)


def _schema(columns: Columns) -> Any:
    from openlineage.client.facet_v2 import schema_dataset

    return schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name=name, type=kind, ordinal_position=i)
            for i, (name, kind) in enumerate(columns, start=1)
        ]
    )
