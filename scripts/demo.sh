#!/usr/bin/env bash
# The Flowlytics demo: Airflow 3 (`airflow standalone`, SQLite) with the Flowlytics plugin and example DAGs
# that emit real OpenLineage lineage into it.
#
#   scripts/demo.sh [start]   install into .venv if needed (scripts/setup.sh), start Airflow in the
#                             background, run the producer DAGs, mark the revenue mart critical, run the
#                             gated DAGs, print where to look. Running it again re-triggers the DAGs.
#   scripts/demo.sh stop      stop Airflow
#   scripts/demo.sh status    is it running, and where
#   scripts/demo.sh logs      follow the Airflow log
#
# Environment:
#   FLOWLYTICS_DEMO_PORT=8080        API server port
#   FLOWLYTICS_DEMO_FOREGROUND=1     stay attached after start, following the log; Ctrl-C stops Airflow
#   FLOWLYTICS_DEMO_TIMEOUT=300      seconds to wait for each step
#   PYTHON=python3                   interpreter used to create .venv
# Everything the demo writes lives in .demo/ (gitignored): AIRFLOW_HOME, data files, log, keys, pid.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO="$REPO/.demo"
VENV="$REPO/.venv"
PY="$VENV/bin/python"
PORT="${FLOWLYTICS_DEMO_PORT:-8080}"
BASE="http://127.0.0.1:$PORT"
LOG="$DEMO/airflow.log"
PIDFILE="$DEMO/airflow.pid"
PORTFILE="$DEMO/airflow.port"
TIMEOUT="${FLOWLYTICS_DEMO_TIMEOUT:-300}"
NAMESPACE=flowlytics_demo
# Producers emit the lineage; the gated DAGs (README, "Gating tasks") ask Flowlytics about it, so they run after.
PRODUCER_DAGS=(flowlytics_demo_pipeline flowlytics_demo_payments)
GATE_DAGS=(flowlytics_demo_rejects_archive flowlytics_demo_orders_schema_change flowlytics_demo_payments_report)
DAG_IDS=("${PRODUCER_DAGS[@]}" "${GATE_DAGS[@]}")
declare -A RUN_ID=() # dag_id -> the dag_run_id triggered by this invocation
# The revenue mart is made critical (owned by finance): the schema change upstream of it is then blocked.
CRITICAL_DATASET=marts/customer_revenue.csv
CRITICAL_METADATA='{"criticality": "critical", "owners": ["team:finance"], "sla": {"latestArrival": "07:00"}}'

say() { printf '[demo] %s\n' "$*"; }
die() {
    printf '[demo] error: %s\n' "$*" >&2
    exit 1
}

# pgid of the running demo, from the pid file; fails when it is not running.
running_pgid() {
    [[ -s "$PIDFILE" ]] || return 1
    local pgid
    pgid="$(<"$PIDFILE")"
    kill -0 -- "-$pgid" 2>/dev/null || return 1
    printf '%s\n' "$pgid"
}

port_in_use() {
    "$PY" -c 'import socket, sys; sys.exit(socket.socket().connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$PORT"
}

# A running demo keeps the port it was started with, whatever FLOWLYTICS_DEMO_PORT says now.
use_running_port() {
    if [[ -s "$PORTFILE" ]]; then
        PORT="$(<"$PORTFILE")"
        BASE="http://127.0.0.1:$PORT"
    fi
}

# Seconds since $1 (an epoch), for the timings we print.
since() { echo $(($(date +%s) - $1)); }

ensure_venv() {
    if [[ ! -x "$PY" ]]; then
        local base="${PYTHON:-python3}"
        command -v "$base" >/dev/null || die "python3 not found: install Python 3.10 to 3.13 (or set PYTHON=...)"
        "$base" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] < (3, 14))' ||
            die "Airflow 3 needs Python 3.10 to 3.13; $("$base" --version) found (set PYTHON=...)"
        say "creating $VENV"
        "$base" -m venv "$VENV"
        "$PY" -m pip install --quiet --upgrade pip
    fi
    # The tests' install: the pinned Airflow and OpenLineage provider, Flowlytics editable; a no-op when .venv
    # is up to date. The demo needs neither PostgreSQL nor Chromium, hence no Debian packages.
    FLOWLYTICS_SKIP_APT=1 bash "$REPO/scripts/setup.sh"
    # Checked from / so that the repo on sys.path cannot pass for an installed package.
    (cd / && "$PY" -c 'import importlib.metadata as m, airflow.providers.openlineage; m.version("flowlytics")') \
        >/dev/null 2>&1 || die "Flowlytics or Airflow is not importable from $VENV; remove .venv and run again"
}

# new_key FILE: prints the random key kept in FILE (readable by this user only), creating it once.
new_key() {
    if [[ ! -s "$1" ]]; then
        (umask 077 && "$PY" -c 'import secrets; print(secrets.token_hex(24))' >"$1")
    fi
    cat "$1"
}

configure() {
    mkdir -p "$DEMO"
    export FLOWLYTICS_AIRFLOW_HOME="$DEMO/airflow"
    # Emitters post with the ingest key; the gates read with the read key (connection flowlytics_default,
    # set up by airflow_env.sh); the demo marks a dataset critical with the admin key.
    FLOWLYTICS_INGEST_KEY="$(new_key "$DEMO/ingest_key")"
    FLOWLYTICS_READ_KEY="$(new_key "$DEMO/read_key")"
    FLOWLYTICS_ADMIN_KEY="$(new_key "$DEMO/admin_key")"
    export FLOWLYTICS_INGEST_KEY FLOWLYTICS_READ_KEY FLOWLYTICS_ADMIN_KEY
    export FLOWLYTICS_DEMO_PORT="$PORT"
    export FLOWLYTICS_DEMO_DATA="$DEMO/data"
    # shellcheck source=scripts/airflow_env.sh
    source "$REPO/scripts/airflow_env.sh"
    export PATH="$VENV/bin:$PATH"
    mkdir -p "$AIRFLOW_HOME" "$FLOWLYTICS_DEMO_DATA"
    # SimpleAuthManager keeps passwords already in this file, so we know the admin's and can print it.
    PASSWORD="$(
        umask 077
        "$PY" - "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated" <<'EOF'
import json, pathlib, secrets, sys
path = pathlib.Path(sys.argv[1])
users = json.loads(path.read_text()) if path.exists() and path.read_text().strip() else {}
if not users.get("admin"):
    users["admin"] = secrets.token_urlsafe(12)
    path.write_text(json.dumps(users))
print(users["admin"])
EOF
    )"
}

# json_field KEY < json: prints one top-level field.
json_field() { "$PY" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# api METHOD PATH [JSON]: the response body; fails on HTTP errors.
api() {
    local args=(-sS --fail-with-body -X "$1" -H "Authorization: Bearer $TOKEN")
    [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' -d "$3")
    curl "${args[@]}" "$BASE$2"
}

launch() {
    [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.1"
    say "starting Airflow (airflow standalone) on port $PORT; log: ${LOG#"$REPO"/}"
    # A new session, so that one `kill -- -<pgid>` stops Airflow and every process it started. Python's
    # setsid() + exec keeps the pid, so the pid is the process group id (and needs no setsid binary).
    "$PY" -c 'import os, sys; os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])' airflow standalone \
        >"$LOG" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$PIDFILE"
    echo "$PORT" >"$PORTFILE"
    # The group exists once the child has called setsid(); until then a group kill would miss it.
    for _ in $(seq 50); do
        [[ "$("$PY" -c 'import os, sys; print(os.getpgid(int(sys.argv[1])))' "$pid" 2>/dev/null)" == "$pid" ]] &&
            return 0
        kill -0 "$pid" 2>/dev/null || return 0 # exited already: wait_healthy reports it with the log
        sleep 0.1
    done
}

wait_healthy() {
    local started=$1 deadline
    deadline=$(($(date +%s) + TIMEOUT))
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v2/monitor/health")" == 200 ]]; do
        if ! running_pgid >/dev/null; then
            tail -n 40 "$LOG" >&2 || true
            die "Airflow exited during start-up; see ${LOG#"$REPO"/}"
        fi
        (($(date +%s) < deadline)) || die "Airflow not healthy after ${TIMEOUT}s; see ${LOG#"$REPO"/}"
        sleep 1
    done
    say "Airflow is healthy${started:+ ($(since "$started") s after start)}"
}

login() {
    local body
    body="$("$PY" -c 'import json, sys; print(json.dumps({"username": "admin", "password": sys.argv[1]}))' "$PASSWORD")"
    TOKEN="$(curl -sS --fail-with-body -X POST -H 'Content-Type: application/json' -d "$body" "$BASE/auth/token" |
        json_field access_token)" || die "could not log in as admin (password file: $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)"
}

wait_dags() {
    local started=$1 deadline dag_id errors
    deadline=$(($(date +%s) + TIMEOUT))
    for dag_id in "${DAG_IDS[@]}"; do
        until api GET "/api/v2/dags/$dag_id" >/dev/null 2>&1; do
            errors="$(api GET /api/v2/importErrors | "$PY" -c '
import json, sys
for e in json.load(sys.stdin)["import_errors"]:
    if "flowlytics_demo" in e["filename"]:
        print(e["filename"], e["stack_trace"], sep="\n")')" || true
            [[ -z "$errors" ]] || die "the demo DAGs failed to import:"$'\n'"$errors"
            (($(date +%s) < deadline)) || die "DAG $dag_id not parsed after ${TIMEOUT}s; see ${LOG#"$REPO"/}"
            sleep 2
        done
    done
    say "demo DAGs are parsed${started:+ ($(since "$started") s after start)}"
}

# trigger DAG_ID...: unpause and trigger each DAG now; keeps the run ids in RUN_ID.
trigger() {
    local dag_id
    for dag_id in "$@"; do
        api PATCH "/api/v2/dags/$dag_id" '{"is_paused": false}' >/dev/null
        RUN_ID[$dag_id]="$(api POST "/api/v2/dags/$dag_id/dagRuns" '{"logical_date": null}' | json_field dag_run_id)"
    done
    say "triggered $*"
}

# wait_runs DAG_ID...: waits until Airflow has finished the runs triggered for these DAGs and Flowlytics has
# received their final events.
wait_runs() {
    local triggered deadline dag_id state pending
    triggered=$(date +%s)
    deadline=$((triggered + TIMEOUT))
    while :; do
        pending=()
        for dag_id in "$@"; do
            # A failed poll (a busy server) just counts as not finished yet.
            state="$(api GET "/api/v2/dags/$dag_id/dagRuns/${RUN_ID[$dag_id]}" | json_field state)" || state=""
            if [[ "$state" == success || "$state" == failed ]]; then
                # The DAG's own OpenLineage event comes from the scheduler just after the state change.
                state="$(api GET "/flowlytics/api/v1/runs?jobNodeId=job%3A$NAMESPACE%3A$dag_id&limit=1" |
                    "$PY" -c 'import json, sys; items = json.load(sys.stdin)["items"]; print(items[0]["state"] if items else "NONE")')" ||
                    state=""
                [[ "$state" == COMPLETED || "$state" == FAILED ]] && continue
            fi
            pending+=("$dag_id")
        done
        ((${#pending[@]} == 0)) && break
        if (($(date +%s) >= deadline)); then
            say "warning: still waiting for ${pending[*]} after ${TIMEOUT}s; the UI will show them when they finish"
            return 0
        fi
        sleep 3
    done
    say "runs of $* finished and their lineage is in Flowlytics ($(since "$triggered") s after trigger)"
}

# The demo's node ids: OpenLineage names a local file with namespace "file" and its absolute path.
dataset_id() { printf 'dataset:file:%s/%s' "$FLOWLYTICS_DEMO_DATA" "$1"; }
urlencode() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# Metadata attaches to nodes Flowlytics knows: this runs once the pipeline has reported the mart.
mark_critical() {
    local node
    node="$(dataset_id "$CRITICAL_DATASET")"
    curl -sS --fail-with-body -o /dev/null -X PATCH -H "Authorization: Bearer $FLOWLYTICS_ADMIN_KEY" \
        -H 'Content-Type: application/json' -d "$CRITICAL_METADATA" \
        "$BASE/flowlytics/api/v1/nodes/$(urlencode "$node")/metadata" ||
        die "could not mark $CRITICAL_DATASET critical with .demo/admin_key (an Airflow started by an older demo.sh
      lacks the admin key: scripts/demo.sh stop, then run it again)"
    say "marked $CRITICAL_DATASET critical (owners team:finance) with the admin key"
}

# One saved workflow draft for the admin user (README, "Workflow drafts"), once.
DEMO_DRAFT_NAME="Order feed quality"
DEMO_DRAFT_TEXT="When the orders feed lands, check it, if more than 1 % rows are invalid notify data-ops otherwise load it into the warehouse"
save_demo_draft() {
    if api GET /flowlytics/api/v1/workflows/saved | grep -q "\"$DEMO_DRAFT_NAME\""; then
        return
    fi
    local body
    body="$("$PY" -c 'import json, sys; print(json.dumps({"name": sys.argv[1], "text": sys.argv[2]}))' \
        "$DEMO_DRAFT_NAME" "$DEMO_DRAFT_TEXT")"
    api POST /flowlytics/api/v1/workflows/saved "$body" >/dev/null || die "could not save the demo workflow draft"
    say "saved the workflow draft '$DEMO_DRAFT_NAME' for admin"
}

# run_state DAG_ID: the Airflow state of the run triggered for it.
run_state() { api GET "/api/v2/dags/$1/dagRuns/${RUN_ID[$1]}" 2>/dev/null | json_field state 2>/dev/null || echo unknown; }

# task_url DAG_ID TASK_ID: that task of the triggered run in the Airflow UI (its log, its extra links).
task_url() { printf '%s/dags/%s/runs/%s/tasks/%s' "$BASE" "$1" "$(urlencode "${RUN_ID[$1]}")" "$2"; }

summary() {
    local pgid=$1 warehouse
    warehouse="$(dataset_id warehouse/orders.csv)"
    cat <<EOF

  Flowlytics demo is running (Airflow $(airflow version 2>/dev/null), SQLite, AIRFLOW_HOME=${AIRFLOW_HOME#"$REPO"/}).

  Open        $BASE/plugin/flowlytics      (Airflow UI: Browse → Flowlytics)
  Log in      admin / $PASSWORD
  Producers   ${PRODUCER_DAGS[*]}  (the payments run fails on purpose)
  API         curl -H "Authorization: Bearer \$(cat .demo/read_key)" '$BASE/flowlytics/api/v1/runs'
              (or an Airflow JWT: POST $BASE/auth/token with the login; emitters use .demo/ingest_key)

  Gates       (README, "Gating tasks") each run's state, then the task whose log to read:
    $(printf '%-7s' "$(run_state flowlytics_demo_rejects_archive)") flowlytics_demo_rejects_archive: both gates pass, operator and TaskFlow forms
            $(task_url flowlytics_demo_rejects_archive check_impact)
    $(printf '%-7s' "$(run_state flowlytics_demo_orders_schema_change)") flowlytics_demo_orders_schema_change: blocked on purpose, the critical
            revenue mart is downstream (the impact report is in the log)
            $(task_url flowlytics_demo_orders_schema_change check_impact)
    $(printf '%-7s' "$(run_state flowlytics_demo_payments_report)") flowlytics_demo_payments_report: the sensor timed out on purpose, naming
            the failed run of flowlytics_demo_payments.reconcile_payments
            $(task_url flowlytics_demo_payments_report wait_for_reconciled_payments)
  Impact      $BASE/plugin/flowlytics_lineage?node=$(urlencode "$warehouse")
  Draft       curl -H "Authorization: Bearer \$(cat .demo/read_key)" -X POST -H 'Content-Type: application/json' \\
                  -d '{"text": "$DEMO_DRAFT_TEXT"}' $BASE/flowlytics/api/v1/workflows/drafts
              (saved for admin: GET $BASE/flowlytics/api/v1/workflows/saved with the admin's JWT)
  CI check    .venv/bin/flowlytics impact --url $BASE/flowlytics/ --api-key "\$(cat .demo/read_key)" \\
                  --node '$warehouse' --fail-on critical      (exits 1: a critical consumer)
  Data files  ${FLOWLYTICS_DEMO_DATA#"$REPO"/}/
  Log         ${LOG#"$REPO"/}     (scripts/demo.sh logs)
  Run again   scripts/demo.sh             (triggers the demo DAGs again)
  Stop        scripts/demo.sh stop        (or: kill -- -$pgid)

EOF
}

start() {
    local started="" pgid
    ensure_venv
    if pgid="$(running_pgid)"; then
        use_running_port
        configure
        say "Airflow is already running (process group $pgid, port $PORT); triggering the demo DAGs again"
    else
        configure
        if port_in_use; then
            die "port $PORT is taken by another program: stop it, or run FLOWLYTICS_DEMO_PORT=$((PORT + 10)) scripts/demo.sh"
        fi
        launch
        pgid="$(<"$PIDFILE")"
        started=$(date +%s)
    fi
    wait_healthy "$started"
    login
    wait_dags "$started"
    trigger "${PRODUCER_DAGS[@]}"
    wait_runs "${PRODUCER_DAGS[@]}"
    mark_critical
    save_demo_draft
    trigger "${GATE_DAGS[@]}"
    say "the gated DAGs take about a minute: the payments report's sensor waits 45 s, then times out"
    wait_runs "${GATE_DAGS[@]}"
    summary "$pgid"
    if [[ "${FLOWLYTICS_DEMO_FOREGROUND:-0}" == 1 ]]; then
        say "following the log; Ctrl-C stops Airflow"
        tail -n 0 -f "$LOG" &
        TAIL_PID=$!
        trap 'kill "$TAIL_PID" 2>/dev/null; stop; exit 0' INT TERM
        while kill -0 -- "-$pgid" 2>/dev/null; do sleep 2; done
        kill "$TAIL_PID" 2>/dev/null || true
        die "Airflow exited; see ${LOG#"$REPO"/}"
    fi
}

stop() {
    local pgid i
    if ! pgid="$(running_pgid)"; then
        say "not running"
        rm -f "$PIDFILE" "$PORTFILE"
        return 0
    fi
    say "stopping Airflow (process group $pgid)"
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for i in $(seq 60); do
        kill -0 -- "-$pgid" 2>/dev/null || break
        # Standalone stops its components one by one; give them 30 s, then stop the rest hard.
        ((i == 60)) && kill -KILL -- "-$pgid" 2>/dev/null
        sleep 0.5
    done
    rm -f "$PIDFILE" "$PORTFILE"
    say "stopped"
}

status() {
    local pgid
    if pgid="$(running_pgid)"; then
        use_running_port
        say "running: process group $pgid, $BASE/plugin/flowlytics (log: ${LOG#"$REPO"/})"
    else
        say "not running"
        return 1
    fi
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
status) status ;;
logs) exec tail -n 100 -f "$LOG" ;;
-h | --help | help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' ;;
*) die "unknown command '$1' (start, stop, status, logs)" ;;
esac
