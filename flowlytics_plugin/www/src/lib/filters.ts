/**
 * Whether an OpenLineage job belongs to a DAG: the Airflow OpenLineage
 * provider names DAG-level jobs `<dag_id>` and task-level jobs
 * `<dag_id>.<task_id>`. No dagId -> everything matches.
 */
export function jobMatchesDag(jobName: string, dagId: string | null | undefined): boolean {
  if (!dagId) return true;
  return jobName === dagId || jobName.startsWith(`${dagId}.`);
}
