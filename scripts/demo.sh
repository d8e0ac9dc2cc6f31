#!/usr/bin/env bash
# The Flowlytics demo: Airflow 3 (`airflow standalone`, SQLite) with the Flowlytics plugin and example DAGs
# that emit real OpenLineage lineage into it.
#
#   scripts/demo.sh [start]   install into .venv if needed (scripts/setup.sh), start the alert capture and
#                             Airflow in the background, post the producers' seeded past days (once), run
#                             the producer DAGs, mark the revenue mart critical, set up an alert rule and
#                             channels, run the gated DAGs, then break the orders feed and run the pipeline
#                             (it fails: an incident, a message in the capture); print where to look.
#                             Running it again re-triggers the DAGs.
#   scripts/demo.sh recover   the feed's sender re-sends it fixed; the pipeline reruns: one "resolved" message
#   scripts/demo.sh alerts    the alert messages captured so far
#   scripts/demo.sh stop      stop Airflow and the alert capture
#   scripts/demo.sh status    is it running, and where
#   scripts/demo.sh logs      follow the Airflow log
#
# Environment:
#   FLOWLYTICS_DEMO_PORT=8080        API server port; the alert capture takes the next two
#                                    (FLOWLYTICS_DEMO_CAPTURE_PORT webhooks, FLOWLYTICS_DEMO_SMTP_PORT e-mail)
#   FLOWLYTICS_DEMO_FOREGROUND=1     stay attached after start, following the log; Ctrl-C stops Airflow
#   FLOWLYTICS_DEMO_TIMEOUT=300      seconds to wait for each step
#   FLOWLYTICS_DEMO_HISTORY_DAYS=14  past days of seeded history (0: none)
#   FLOWLYTICS_DEMO_SKIP_SETUP=1     use .venv as it is (do not run scripts/setup.sh)
#   PYTHON=python3                   interpreter used to create .venv
# Everything the demo writes lives in .demo/ (gitignored): AIRFLOW_HOME, data files, log, keys, pid,
# the captured alert messages (.demo/alerts/messages.jsonl).
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
HISTORY_DAYS="${FLOWLYTICS_DEMO_HISTORY_DAYS:-14}"
HISTORY_MARK="$DEMO/history.seeded"
# The alert capture (scripts/demo_capture.py): a webhook receiver and an SMTP server writing one file.
ALERTS="$DEMO/alerts"
MESSAGES="$ALERTS/messages.jsonl"
CAPTURE_PIDFILE="$DEMO/capture.pid"
CAPTURE_PORTFILE="$DEMO/capture.ports"
CAPTURE_PORT="${FLOWLYTICS_DEMO_CAPTURE_PORT:-$((PORT + 1))}"
SMTP_PORT="${FLOWLYTICS_DEMO_SMTP_PORT:-$((PORT + 2))}"
ALERT_RULE_NAME="Orders pipeline failed: tell the owners of what breaks"
WEBHOOK_CHANNEL_NAME="demo capture (webhook)"
EMAIL_CHANNEL_NAME="demo capture (e-mail to finance)"
FINANCE_ADDRESS="finance@example.test"
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
    "$PY" -c 'import socket, sys; sys.exit(socket.socket().connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "${1:-$PORT}"
}

# A running demo keeps the port it was started with, whatever FLOWLYTICS_DEMO_PORT says now.
use_running_port() {
    if [[ -s "$PORTFILE" ]]; then
        PORT="$(<"$PORTFILE")"
        BASE="http://127.0.0.1:$PORT"
    fi
    if [[ -s "$CAPTURE_PORTFILE" ]]; then
        read -r CAPTURE_PORT SMTP_PORT <"$CAPTURE_PORTFILE"
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
    [[ "${FLOWLYTICS_DEMO_SKIP_SETUP:-0}" == 1 ]] || FLOWLYTICS_SKIP_APT=1 bash "$REPO/scripts/setup.sh"
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
    # Alert e-mail goes to the demo's SMTP capture (when aiosmtpd is there).
    if smtp_capture_available; then
        export AIRFLOW__FLOWLYTICS__SMTP_URL="smtp://127.0.0.1:$SMTP_PORT?from=flowlytics-demo@localhost"
    fi
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

smtp_capture_available() { "$PY" -c 'import aiosmtpd' 2>/dev/null; }

capture_running() { [[ -s "$CAPTURE_PIDFILE" ]] && kill -0 -- "-$(<"$CAPTURE_PIDFILE")" 2>/dev/null; }

# The alert capture, in its own process group like Airflow; `demo.sh stop` stops it.
start_capture() {
    if capture_running; then
        return 0
    fi
    local args=(--out "$MESSAGES" --http-port "$CAPTURE_PORT")
    port_in_use "$CAPTURE_PORT" &&
        die "port $CAPTURE_PORT (alert capture) is taken: set FLOWLYTICS_DEMO_CAPTURE_PORT to a free port"
    if smtp_capture_available; then
        port_in_use "$SMTP_PORT" &&
            die "port $SMTP_PORT (e-mail capture) is taken: set FLOWLYTICS_DEMO_SMTP_PORT to a free port"
        args+=(--smtp-port "$SMTP_PORT")
    fi
    mkdir -p "$ALERTS"
    "$PY" -c 'import os, sys; os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])' "$PY" "$REPO/scripts/demo_capture.py" \
        "${args[@]}" >"$ALERTS/capture.log" 2>&1 </dev/null &
    echo $! >"$CAPTURE_PIDFILE"
    echo "$CAPTURE_PORT $SMTP_PORT" >"$CAPTURE_PORTFILE"
    for _ in $(seq 50); do
        [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CAPTURE_PORT/")" == 200 ]] && break
        sleep 0.2
    done
    say "alert capture listening: webhooks on :$CAPTURE_PORT$(smtp_capture_available && echo ", e-mail on :$SMTP_PORT"); messages in ${MESSAGES#"$REPO"/}"
}

stop_capture() {
    if capture_running; then
        kill -TERM -- "-$(<"$CAPTURE_PIDFILE")" 2>/dev/null || true
        for _ in $(seq 20); do
            capture_running || break
            sleep 0.25
        done
        capture_running && kill -KILL -- "-$(<"$CAPTURE_PIDFILE")" 2>/dev/null
        say "stopped the alert capture"
    fi
    rm -f "$CAPTURE_PIDFILE" "$CAPTURE_PORTFILE"
}

# The producers' past days, once per .demo (README, "Analytics": what is seeded and how it is labelled).
seed_history() {
    [[ -f "$HISTORY_MARK" ]] && return 0
    ((HISTORY_DAYS > 0)) || return 0
    local output
    output="$("$PY" "$REPO/scripts/demo_history.py" --url "$BASE/flowlytics/" --api-key "$FLOWLYTICS_INGEST_KEY" \
        --data-dir "$FLOWLYTICS_DEMO_DATA" --days "$HISTORY_DAYS")" || die "could not post the seeded history"
    touch "$HISTORY_MARK"
    say "$output (labelled seeded-history; the OpenLineage client, the real ingest path)"
}

# orders_feed drift|restore: what the orders feed's sender drops next (dags/flowlytics_demo/feeds.py).
orders_feed() {
    PYTHONPATH="$REPO/dags${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m flowlytics_demo.feeds "$1" "$FLOWLYTICS_DEMO_DATA" >/dev/null
}

# admin_api METHOD PATH [JSON]: a Flowlytics call with the admin key.
admin_api() {
    local args=(-sS --fail-with-body -X "$1" -H "Authorization: Bearer $FLOWLYTICS_ADMIN_KEY")
    [[ $# -ge 3 ]] && args+=(-H 'Content-Type: application/json' -d "$3")
    curl "${args[@]}" "$BASE/flowlytics/api/v1$2"
}

# channel_id NAME: the id of the alert channel of that name, empty when there is none.
channel_id() {
    admin_api GET /alerts/channels | "$PY" -c '
import json, sys
print(next((str(c["id"]) for c in json.load(sys.stdin)["items"] if c["name"] == sys.argv[1]), ""))' "$1"
}

# A webhook and an e-mail channel into the capture, owners routed to them, and one rule: the orders
# pipeline failing notifies its channel and the owners of everything downstream (README, "Alerts").
setup_alerts() {
    local webhook email="" routes body
    webhook="$(channel_id "$WEBHOOK_CHANNEL_NAME")"
    if [[ -z "$webhook" ]]; then
        webhook="$(admin_api POST /alerts/channels "{\"name\": \"$WEBHOOK_CHANNEL_NAME\", \"type\": \"webhook\", \"url\": \"http://127.0.0.1:$CAPTURE_PORT/webhook\"}" | json_field id)" ||
            die "could not create the webhook channel"
    fi
    routes="\"data-platform\": $webhook"
    if smtp_capture_available; then
        email="$(channel_id "$EMAIL_CHANNEL_NAME")"
        if [[ -z "$email" ]]; then
            email="$(admin_api POST /alerts/channels "{\"name\": \"$EMAIL_CHANNEL_NAME\", \"type\": \"email\", \"addresses\": [\"$FINANCE_ADDRESS\"]}" | json_field id)" ||
                die "could not create the e-mail channel"
        fi
        routes="$routes, \"team:finance\": $email"
    fi
    admin_api PUT /alerts/owner-routes "{\"routes\": {$routes}}" >/dev/null || die "could not set the owner routes"
    if ! admin_api GET /alerts/rules | grep -q "\"$ALERT_RULE_NAME\""; then
        body="{\"name\": \"$ALERT_RULE_NAME\", \"condition\": {\"type\": \"run_failed\"}, \"scope\": {\"dagIds\": [\"flowlytics_demo_pipeline\"]}, \"channelIds\": [$webhook], \"routeToOwners\": true}"
        admin_api POST /alerts/rules "$body" >/dev/null || die "could not create the alert rule"
    fi
    say "alerts: rule '$ALERT_RULE_NAME' → webhook capture, owners routed (data-platform → webhook${email:+, team:finance → e-mail $FINANCE_ADDRESS})"
}

# wait_message EVENT LINES: waits (60 s at most) until the capture has the EVENT (opened, resolved) message
# of every demo channel (the webhook's, and the e-mail's when it is set up) after the file's first LINES lines.
wait_message() {
    local event=$1 after=$2 deadline channels=1
    smtp_capture_available && channels=2
    deadline=$(($(date +%s) + 60))
    until (($(tail -n "+$((after + 1))" "$MESSAGES" 2>/dev/null | "$PY" -c '
import json, sys
event = sys.argv[1]
seen = set()
for line in sys.stdin:
    m = json.loads(line)
    resolved = m.get("event") == "resolved" if m["channel"] == "webhook" else m["title"].startswith("[Flowlytics] Resolved")
    if resolved == (event == "resolved"):
        seen.add(m["channel"])
print(len(seen))' "$event") >= channels)); do
        if (($(date +%s) >= deadline)); then
            say "warning: not every '$event' alert message is in ${MESSAGES#"$REPO"/} after 60 s (see the incident's timeline)"
            return 0
        fi
        sleep 1
    done
    say "the alert capture received the '$event' message ($([[ $channels == 2 ]] && echo "webhook and e-mail" || echo webhook))"
}

message_count() { [[ -f "$MESSAGES" ]] && wc -l <"$MESSAGES" || echo 0; }

# The orders feed arrives with a renamed column: the pipeline fails, an incident opens, messages go out.
break_pipeline() {
    local before
    before="$(message_count)"
    orders_feed drift
    say "the orders feed's sender renamed a column ('amount' → 'order_amount'); running the pipeline again"
    trigger flowlytics_demo_pipeline
    wait_runs flowlytics_demo_pipeline
    wait_message opened "$before"
}

open_incidents() {
    api GET "/flowlytics/api/v1/incidents?state=OPEN" 2>/dev/null | "$PY" -c '
import json, sys
incidents = json.load(sys.stdin)["items"]
for i in incidents:
    print("    #%s %s: %s" % (i["id"], i["severity"], i["title"][:100]))
if not incidents:
    print("    none")' || true
}

print_messages() {
    [[ -s "$MESSAGES" ]] || {
        say "no alert message captured yet (${MESSAGES#"$REPO"/})"
        return 0
    }
    "$PY" -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    m = json.loads(line)
    to = " to " + ", ".join(m["to"]) if m.get("to") else ""
    print("%s  %s%s: %s" % (m["receivedAt"], m["channel"], to, m.get("title")))
    for text_line in (m.get("text") or "").splitlines()[:14]:
        print("    " + text_line)' "$MESSAGES"
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
  Analytics   $BASE/plugin/flowlytics_analytics   ($HISTORY_DAYS seeded past days + today's real runs)
  Alerts      $BASE/plugin/flowlytics_alerts      open incidents:
$(open_incidents)
              messages: ${MESSAGES#"$REPO"/} (scripts/demo.sh alerts; or http://127.0.0.1:$CAPTURE_PORT/)
  Recover     scripts/demo.sh recover     (the feed re-sent fixed, the pipeline reruns: one "resolved" message)
  Data files  ${FLOWLYTICS_DEMO_DATA#"$REPO"/}/
  Log         ${LOG#"$REPO"/}     (scripts/demo.sh logs)
  Run again   scripts/demo.sh             (triggers the demo DAGs again)
  Stop        scripts/demo.sh stop        (Airflow and the alert capture)

EOF
}

start() {
    local started="" pgid invoked
    invoked=$(date +%s)
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
        start_capture
        launch
        pgid="$(<"$PIDFILE")"
        started=$(date +%s)
    fi
    start_capture
    wait_healthy "$started"
    login
    wait_dags "$started"
    seed_history
    orders_feed restore # the day's feed as agreed (a previous demo may have left the drifted one)
    trigger "${PRODUCER_DAGS[@]}"
    wait_runs "${PRODUCER_DAGS[@]}"
    mark_critical
    save_demo_draft
    setup_alerts
    trigger "${GATE_DAGS[@]}"
    say "the gated DAGs take about a minute: the payments report's sensor waits 45 s, then times out"
    wait_runs "${GATE_DAGS[@]}"
    break_pipeline
    summary "$pgid"
    say "demo ready $(since "$invoked") s after scripts/demo.sh was started"
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

# The sender re-sends the orders feed with the agreed columns; the pipeline's next run closes the incident.
recover() {
    local before
    running_pgid >/dev/null || die "the demo is not running: scripts/demo.sh"
    use_running_port
    configure
    login
    before="$(message_count)"
    orders_feed restore
    say "the orders feed is re-sent with its agreed columns; running the pipeline again"
    trigger flowlytics_demo_pipeline
    wait_runs flowlytics_demo_pipeline
    wait_message resolved "$before"
    tail -n "+$((before + 1))" "$MESSAGES" >"$ALERTS/.new" 2>/dev/null || true
    MESSAGES="$ALERTS/.new" print_messages
    rm -f "$ALERTS/.new"
    say "the incident is resolved (Alerts page: $BASE/plugin/flowlytics_alerts); scripts/demo.sh breaks the feed again"
}

stop() {
    local pgid i
    use_running_port
    stop_capture
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
recover) recover ;;
alerts) print_messages ;;
stop) stop ;;
status) status ;;
logs) exec tail -n 100 -f "$LOG" ;;
-h | --help | help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' ;;
*) die "unknown command '$1' (start, recover, alerts, stop, status, logs)" ;;
esac
