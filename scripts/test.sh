#!/usr/bin/env bash
# The README's test command: sets up a fresh machine, then runs linters and every test.
# Extra arguments go to pytest (e.g. scripts/test.sh -k corpus).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
bash scripts/setup.sh

echo "test: ruff and mypy"
.venv/bin/ruff check .
.venv/bin/mypy

echo "test: UI unit tests (vitest)"
# setup.sh put a suitable Node.js on this PATH (the system's, or one inside the virtualenv).
export PATH="$REPO/.venv/bin:$PATH"
(cd flowlytics_plugin/www && npm ci --no-audit --no-fund --loglevel=error && npm run --silent typecheck && npm test --silent)

echo "test: pytest"
# Missing PostgreSQL, Chromium or Airflow must fail the run, never skip silently.
export FLOWLYTICS_REQUIRE_ALL=1
# pytest exits 5 when it collected no tests; set -e turns that into a failure too.
.venv/bin/pytest "$@"
