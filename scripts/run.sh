#!/usr/bin/env bash
# Serves OncoDCC like production: gunicorn (static files by whitenoise) and the task worker.
# Ctrl-C (or SIGTERM) stops every process started here.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
PORT=${PORT:-8000}
BIND=${BIND:-127.0.0.1}

dcc migrate --noinput -v 0
dcc collectstatic --noinput -v 0
dcc demo-data --if-empty
dcc generate-meetings -v 0

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "==> stopping OncoDCC"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

gunicorn oncodcc.wsgi:application --bind "$BIND:$PORT" --workers "${WEB_WORKERS:-3}" \
  --access-logfile - --log-level warning &
pids+=($!)
dcc db_worker --queue-name '*' --interval 1 &
pids+=($!)

cat <<MSG

  OncoDCC is running on http://$BIND:$PORT/   (Ctrl-C to stop)
  Database: $(dcc shell -c "from django.db import connection; print(connection.vendor)" 2>/dev/null)

  Demo accounts (synthetic data only), password for all: $(dcc shell -c "from oncodcc.demo.accounts import DEMO_PASSWORD; print(DEMO_PASSWORD)")
$(dcc shell -c "from oncodcc.demo.accounts import print_accounts; print_accounts()")

MSG
wait -n "${pids[@]}"
