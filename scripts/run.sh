#!/usr/bin/env bash
# Serves OncoDCC like production: gunicorn (static files by whitenoise), the task worker and the HL7 v2 listener
# (MLLP). Ctrl-C (or SIGTERM) stops every process started here.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
PORT=${PORT:-8000}
BIND=${BIND:-127.0.0.1}
MLLP_PORT=${MLLP_PORT:-2575}
# Like the web server: local only unless asked. Hospitals' networks: MLLP_HOST=0.0.0.0 with TLS (MLLP_TLS_CERT,
# MLLP_TLS_KEY, MLLP_TLS_CLIENT_CA, read by dcc mllp); plain MLLP off the loopback needs MLLP_ALLOW_PLAIN=1.
MLLP_HOST=${MLLP_HOST:-$BIND}
started=$SECONDS

# Like production: DEBUG off (DCC_DEBUG defaults to 0; developer mode is an explicit DCC_DEBUG=1), but this is the
# demo region, so demo mode is on explicitly.
export DCC_DEMO_MODE=${DCC_DEMO_MODE:-1}
# Served over plain http on this machine: no redirect to https, and cookies that travel over http (else the
# browser never sends the session and CSRF cookies back). In production a TLS front keeps both on (their default).
export DCC_SECURE_SSL_REDIRECT=${DCC_SECURE_SSL_REDIRECT:-0}
export DCC_SECURE_COOKIES=${DCC_SECURE_COOKIES:-0}
# The links in the emails (validated fiches, meeting reminders) point here.
export DCC_SITE_URL=${DCC_SITE_URL:-http://$BIND:$PORT}
# A secret key of this installation, generated on the first start and kept (never a key written in the code).
if [ -z "${DCC_SECRET_KEY:-}" ] && [ -z "${DCC_SECRET_KEY_FILE:-}" ]; then
  key_file="${DCC_VAR_DIR:-var}/secret_key"
  if [ ! -s "$key_file" ]; then
    mkdir -p "$(dirname "$key_file")"
    (umask 077 && python -c 'import secrets; print(secrets.token_urlsafe(50))' > "$key_file.tmp" \
      && mv "$key_file.tmp" "$key_file")
    echo "==> secret key generated in $key_file"
  fi
  case "$key_file" in /*) ;; *) key_file="$PWD/$key_file" ;; esac
  export DCC_SECRET_KEY_FILE="$key_file"
fi

# Demo mode: documents are delivered to local doubles started by `dcc demo-receiver` below — the demo hospitals'
# DPI (MLLP), the MSSanté relay (SMTP, mails in var/mail/) and the DMP (XDS.b, documents in var/dmp/) — unless the
# operator points the channels elsewhere.
DEMO_RECEIVER_PORT=${DCC_DEMO_RECEIVER_PORT:-2576}
DEMO_SMTP_PORT=${DCC_DEMO_SMTP_PORT:-2577}
DEMO_DMP_PORT=${DCC_DEMO_DMP_PORT:-2578}
if [ "$DCC_DEMO_MODE" = 1 ]; then
  export DCC_MSSANTE_SMTP_HOST=${DCC_MSSANTE_SMTP_HOST:-127.0.0.1}
  export DCC_MSSANTE_SMTP_PORT=${DCC_MSSANTE_SMTP_PORT:-$DEMO_SMTP_PORT}
  export DCC_MSSANTE_SMTP_TLS=${DCC_MSSANTE_SMTP_TLS:-none}
  export DCC_MSSANTE_FROM=${DCC_MSSANTE_FROM:-rcp@dsrc.demo.mssante.invalid}
  export DCC_DMP_URL=${DCC_DMP_URL:-http://127.0.0.1:$DEMO_DMP_PORT/xds/iti41}
fi

echo "==> preparing the database and the static files"
dcc migrate --noinput -v 0
dcc collectstatic --noinput -v 0
dcc terminology load -v 0 >/dev/null
dcc forms load
dcc demo-data --if-empty
dcc generate-meetings -v 0 >/dev/null

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "==> stopping OncoDCC"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # gunicorn lets running requests finish, the worker its current task; then force.
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM  # asked to stop: a clean exit
trap stop EXIT  # a process died, or start-up failed: keep the failing status

# Concurrency (docs/regional-scale.md): one process per core, each with threads, so that requests waiting on
# PostgreSQL (most of a page's time) do not hold a whole process; /health has a thread of its own in each process,
# so a load balancer's probe never queues behind slow pages. Each thread keeps its own database connection (CONN_MAX_AGE):
# PostgreSQL's max_connections must cover WEB_WORKERS × WEB_THREADS per node, plus the worker and the listener.
cores=$(python -c 'import os; print(len(os.sched_getaffinity(0)))')
WEB_WORKERS=${WEB_WORKERS:-$(( cores < 2 ? 2 : cores ))}
WEB_THREADS=${WEB_THREADS:-8}
# The workers' heartbeat files in memory when the system has it: a slow disk must not get a worker killed.
tmp_dir=()
[ -d /dev/shm ] && tmp_dir=(--worker-tmp-dir /dev/shm)
# exec: the pid we hold is the program itself, not a wrapping shell.
# The access log keeps the path, never the query string: a search URL carries patients' names.
# The worker class is gunicorn's gthread with /health on a thread of its own (oncodcc/core/gunicorn_worker.py).
(exec gunicorn oncodcc.wsgi:application --bind "$BIND:$PORT" --worker-class oncodcc.core.gunicorn_worker.HealthFirstWorker \
  --workers "$WEB_WORKERS" --threads "$WEB_THREADS" "${tmp_dir[@]}" \
  --access-logfile - --access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms' --log-level warning) &
pids+=($!)
(exec scripts/worker.sh) &
pids+=($!)
# The HL7 v2 listener: SIGTERM lets the messages in flight finish and be acknowledged.
(exec dcc mllp --host "$MLLP_HOST" --port "$MLLP_PORT") &
pids+=($!)
if [ "$DCC_DEMO_MODE" = 1 ]; then
  (exec dcc demo-receiver --port "$DEMO_RECEIVER_PORT" --smtp-port "$DEMO_SMTP_PORT" --dmp-port "$DEMO_DMP_PORT") &
  pids+=($!)
fi

# Wait until the site answers (or a process died).
url="http://$BIND:$PORT"
[ "$BIND" = 0.0.0.0 ] && url="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
  python - "$url/health" <<'PY' && break
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except Exception:
    sys.exit(1)
PY
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "!! a process stopped during start-up" >&2; exit 1; }; done
  sleep 0.2
done
# ... and until the MLLP port accepts connections (a port already taken stops the listener with a message).
mllp_probe=$MLLP_HOST
[ "$MLLP_HOST" = 0.0.0.0 ] && mllp_probe=127.0.0.1
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/$mllp_probe/$MLLP_PORT") 2>/dev/null && break
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "!! a process stopped during start-up" >&2; exit 1; }; done
  sleep 0.2
done
# Another program may hold one of the ports: then ours has stopped by now.
sleep 0.5
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "!! a process stopped during start-up" >&2; exit 1; }; done

echo
echo "  OncoDCC is running on $url/   (Ctrl-C to stop; started in $((SECONDS - started)) s)"
echo "  Web: $WEB_WORKERS processes × $WEB_THREADS threads (WEB_WORKERS, WEB_THREADS)"
echo "  HL7 v2 (MLLP) : port $MLLP_PORT   (listening on $MLLP_HOST; hospital networks: MLLP_HOST=0.0.0.0 with MLLP_TLS_*, docs/mllp.md)"
[ "$DCC_DEMO_MODE" = 1 ] && echo "  Demo recipients (diffusion out): DPI port $DEMO_RECEIVER_PORT (${DCC_VAR_DIR:-var}/demo-receiver/), MSSanté relay port $DEMO_SMTP_PORT (${DCC_VAR_DIR:-var}/mail/), DMP port $DEMO_DMP_PORT (${DCC_VAR_DIR:-var}/dmp/) — docs/diffusion.md"
# The demo accounts with their password and second-factor secrets (print_accounts refuses outside demo mode).
dcc shell -v 0 --no-imports -c "
from django.conf import settings
from django.db import connection
from oncodcc.demo import builder
from oncodcc.demo.accounts import DEMO_PASSWORD, print_accounts
print(f'  Database: {connection.vendor} ({connection.settings_dict[\"NAME\"]})')
if settings.DEMO_MODE and builder.demo_region_exists():
    print(f'\n  Demo accounts (synthetic data only), password for all: {DEMO_PASSWORD}\n')
    print_accounts()
"
echo
wait -n "${pids[@]}"
