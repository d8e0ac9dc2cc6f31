"""The pure merge rules that make ingestion order-independent."""

from __future__ import annotations

from datetime import datetime, timezone

from lineage_backend.ingest.projection import column_edges, dataset_statistics, merge_facets, state_rank

T1 = datetime(2024, 1, 1, 0, 0, 1, tzinfo=timezone.utc)
T2 = datetime(2024, 1, 1, 0, 0, 2, tzinfo=timezone.utc)


def test_terminal_state_outranks_any_later_start() -> None:
    assert state_rank("COMPLETE", T1) > state_rank("START", T2)
    assert state_rank("RUNNING", T2) > state_rank("START", T1)
    assert state_rank("FAIL", T2) > state_rank("COMPLETE", T1)
    assert state_rank("FAIL", T1) > state_rank("COMPLETE", T1)  # tie on time: deterministic


def test_newer_facet_replaces_older_never_the_reverse() -> None:
    facets, times, changed = merge_facets({}, {}, {"sql": {"q": "old"}}, "2024-01-01T00:00:01")
    assert changed
    facets, times, changed = merge_facets(facets, times, {"sql": {"q": "new"}}, "2024-01-01T00:00:02")
    assert changed and facets["sql"] == {"q": "new"}
    facets, times, changed = merge_facets(
        facets, times, {"sql": {"q": "older"}, "doc": {"d": 1}}, "2024-01-01T00:00:00"
    )
    assert facets["sql"] == {"q": "new"} and facets["doc"] == {"d": 1}


def test_equal_times_pick_the_same_winner_in_any_order() -> None:
    a, b = {"x": {"v": 1}}, {"x": {"v": 2}}
    first = merge_facets(*merge_facets({}, {}, a, "t")[:2], b, "t")[0]
    second = merge_facets(*merge_facets({}, {}, b, "t")[:2], a, "t")[0]
    assert first == second


def test_unchanged_facets_report_no_change() -> None:
    facets, times, _ = merge_facets({}, {}, {"x": {"v": 1}}, "t")
    assert merge_facets(facets, times, {"x": {"v": 1}}, "t")[2] is False


def test_statistics_prefer_input_statistics_then_dq_metrics() -> None:
    assert dataset_statistics("IN", {"dataQualityMetrics": {"rowCount": 5, "bytes": 10}}) == (5, 10, None)
    assert dataset_statistics("IN", {"inputStatistics": {"rowCount": 7}, "dataQualityMetrics": {"rowCount": 5}})[0] == 7
    assert dataset_statistics("OUT", {"outputStatistics": {"rowCount": 3, "size": 9, "fileCount": 1}}) == (3, 9, 1)


def test_column_edges_read_transformations_legacy_types_and_dataset_dependencies() -> None:
    rows = column_edges(
        {
            "fields": {
                "total": {
                    "inputFields": [
                        {
                            "namespace": "n",
                            "name": "orders",
                            "field": "amount",
                            "transformations": [{"type": "DIRECT", "subtype": "AGGREGATION", "masking": False}],
                        },
                    ]
                },
                "email": {
                    "inputFields": [{"namespace": "n", "name": "users", "field": "email"}],
                    "transformationType": "MASKED",
                },
            },
            "dataset": [
                {
                    "namespace": "n",
                    "name": "orders",
                    "field": "status",
                    "transformations": [{"type": "INDIRECT", "subtype": "FILTER"}],
                }
            ],
        }
    )
    by_output = {(r["output_field"], r["input_field"]): r for r in rows}
    assert by_output[("total", "amount")]["transformation_subtype"] == "AGGREGATION"
    assert by_output[("email", "email")]["masking"] is True
    assert by_output[("", "status")]["transformation_type"] == "INDIRECT"


def test_labels_are_cut_to_their_column_widths() -> None:
    """Regression (fuzzing, PostgreSQL): a 33-64 character transformation type, or an Airflow DAG id over
    250 characters, did not fit its column."""
    from lineage_backend.ingest.parse import parse_event
    from lineage_backend.ingest.projection import airflow_dag_id
    from tests.lineage_backend.events import run_event

    lineage = {
        "fields": {"a": {"inputFields": [{"namespace": "n", "name": "s", "transformations": [{"type": "T" * 40}]}]}}
    }
    (row,) = column_edges(lineage)
    assert row["transformation_type"] == "T" * 32
    dag = {"jobType": {"jobType": "DAG", "integration": "AIRFLOW"}}
    assert airflow_dag_id(parse_event(run_event("START", job="d" * 300, job_facets=dag))) == "d" * 250
