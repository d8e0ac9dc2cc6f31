"""Run inside a throwaway AIRFLOW_HOME (see test_workflow_dags.py): import the DAG folder with a real DagBag,
report each DAG's task graph, and run `dag.test()` on the sample events given. Prints one JSON document."""

from __future__ import annotations

import json
import sys

from airflow.dag_processing.dagbag import DagBag


def _plain(value: object) -> str:
    return str(getattr(value, "value", value))  # enums as their values


def main() -> None:
    runs = json.loads(sys.stdin.read())  # {dag_id: [event, ...]}
    bag = DagBag(dag_folder=sys.argv[1])
    report: dict[str, object] = {"importErrors": {str(k): v for k, v in bag.import_errors.items()}, "dags": {}}
    for dag_id, dag in sorted(bag.dags.items()):
        tasks = {
            task.task_id: {
                "downstream": sorted(task.downstream_task_ids),
                "triggerRule": _plain(task.trigger_rule),
            }
            for task in dag.tasks
        }
        states = []
        for event in runs.get(dag_id, []):
            dag_run = dag.test(run_conf={"event": event})
            states.append(
                {
                    "state": _plain(dag_run.state),
                    "tasks": {ti.task_id: _plain(ti.state) for ti in dag_run.get_task_instances() if ti.map_index <= 0},
                }
            )
        report["dags"][dag_id] = {"tasks": tasks, "runs": states}  # type: ignore[index]
    # The plugin's hook that turns Airflow's assets into workflow events (the DAGs above registered theirs).
    from flowlytics_plugin.workflow_assets import airflow_assets

    report["assets"] = [event.model_dump(mode="json", by_alias=True) for event in airflow_assets()]
    print("FLOWLYTICS-REPORT " + json.dumps(report))


if __name__ == "__main__":
    main()
