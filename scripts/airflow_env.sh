# shellcheck shell=bash
# Airflow configuration for running Flowlytics locally: sourced by scripts/demo.sh, and by the e2e tests
# (tests/e2e) so that the demo and the tests run the very same configuration.
#
# Inputs (environment):
#   FLOWLYTICS_AIRFLOW_HOME  required: the AIRFLOW_HOME to use
#   FLOWLYTICS_INGEST_KEY    required: the bearer key the OpenLineage provider sends to /flowlytics
#   FLOWLYTICS_READ_KEY      optional: a read key; the gates (connection flowlytics_default) use it
#   FLOWLYTICS_ADMIN_KEY     optional: an admin key, e.g. to mark a dataset critical through the API
#   FLOWLYTICS_DEMO_PORT     API server port (default 8080)
#   FLOWLYTICS_DEMO_HOST     address the API server binds (default 127.0.0.1: the demo is local)
#   FLOWLYTICS_DEMO_DATA     where the demo DAGs read and write their CSV files
#   FLOWLYTICS_LOG_SERVER_PORT, FLOWLYTICS_TRIGGER_LOG_SERVER_PORT
#                            scheduler/triggerer log-server ports (Airflow's defaults 8793/8794), so
#                            that a test Airflow can run next to the demo
#
# Usage: FLOWLYTICS_AIRFLOW_HOME=… FLOWLYTICS_INGEST_KEY=… source scripts/airflow_env.sh

_flowlytics_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${FLOWLYTICS_AIRFLOW_HOME:?set FLOWLYTICS_AIRFLOW_HOME to the AIRFLOW_HOME to use}"
: "${FLOWLYTICS_INGEST_KEY:?set FLOWLYTICS_INGEST_KEY to the OpenLineage ingest key}"
_flowlytics_port="${FLOWLYTICS_DEMO_PORT:-8080}"
_flowlytics_host="${FLOWLYTICS_DEMO_HOST:-127.0.0.1}"

export AIRFLOW_HOME="$FLOWLYTICS_AIRFLOW_HOME"
export AIRFLOW__CORE__DAGS_FOLDER="$_flowlytics_repo/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# New DAGs run as soon as they are triggered; the demo still unpauses them explicitly for old DBs.
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin
# Keep the login: with all_admins every request is admin and the plugin's auth could not be seen working.
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=False
export AIRFLOW__API__HOST="$_flowlytics_host"
export AIRFLOW__API__PORT="$_flowlytics_port"
# Links in alert messages point at this Airflow's UI.
export AIRFLOW__FLOWLYTICS__AIRFLOW_URL="http://127.0.0.1:$_flowlytics_port"
# Workers reach the API server here; without it, a port other than 8080 fails every task.
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$_flowlytics_port/execution/"
export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="${FLOWLYTICS_LOG_SERVER_PORT:-8793}"
export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT="${FLOWLYTICS_TRIGGER_LOG_SERVER_PORT:-8794}"

export AIRFLOW__FLOWLYTICS__INGEST_API_KEYS="$FLOWLYTICS_INGEST_KEY"
if [[ -n "${FLOWLYTICS_READ_KEY:-}" ]]; then
    export AIRFLOW__FLOWLYTICS__READ_API_KEYS="$FLOWLYTICS_READ_KEY"
    # The gates' connection (type flowlytics): host = the Flowlytics URL, password = a read key.
    export AIRFLOW_CONN_FLOWLYTICS_DEFAULT="{\"conn_type\": \"flowlytics\", \"host\": \"http://127.0.0.1:$_flowlytics_port/flowlytics/\", \"password\": \"$FLOWLYTICS_READ_KEY\"}"
fi
if [[ -n "${FLOWLYTICS_ADMIN_KEY:-}" ]]; then
    export AIRFLOW__FLOWLYTICS__ADMIN_API_KEYS="$FLOWLYTICS_ADMIN_KEY"
fi
export AIRFLOW__OPENLINEAGE__NAMESPACE=flowlytics_demo
# The trailing slash on url matters: the client joins url and endpoint with urljoin.
export AIRFLOW__OPENLINEAGE__TRANSPORT="{\"type\": \"http\", \"url\": \"http://127.0.0.1:$_flowlytics_port/flowlytics/\", \"endpoint\": \"api/v1/lineage\", \"auth\": {\"type\": \"api_key\", \"apiKey\": \"$FLOWLYTICS_INGEST_KEY\"}, \"compression\": \"gzip\", \"timeout\": 30}"

# The reviewed operations workflow drafts may use (README, "Workflow drafts").
export AIRFLOW__FLOWLYTICS__WORKFLOW_OPERATIONS="$_flowlytics_repo/dags/flowlytics_demo/workflow_operations.yaml"

export FLOWLYTICS_DEMO_DATA="${FLOWLYTICS_DEMO_DATA:-/tmp/flowlytics_demo}"

unset _flowlytics_repo _flowlytics_port _flowlytics_host
