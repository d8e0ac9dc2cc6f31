"""The complete example in the README's "Gating tasks" section is a demo DAG, verbatim: the
example readers copy is the one the e2e tests run in a real Airflow (test_gates_e2e.py)."""

from __future__ import annotations

from tests.e2e.harness import REPO


def test_the_documented_example_is_the_demo_dag_verbatim() -> None:
    doc = (REPO / "README.md").read_text()
    dag = (REPO / "dags" / "flowlytics_demo_rejects_archive.py").read_text()
    assert f"```python\n{dag.rstrip()}\n```" in doc, (
        "README.md, Gating tasks: paste dags/flowlytics_demo_rejects_archive.py"
    )
