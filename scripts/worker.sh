#!/usr/bin/env bash
# The task worker (document renderings, diffusion of documents, notifications, meeting generation), recycled after WORKER_MAX_TASKS tasks so that memory
# held by WeasyPrint is given back to the system with the process; each start writes an audit checkpoint.
# TERM/INT stop it cleanly.
set -u
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
child=0
stop() { [ "$child" != 0 ] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0; }
trap stop INT TERM
while :; do
  # A signed checkpoint of the audit chain at each (re)start (docs/adr/0006; a cron does it hourly in production).
  dcc audit checkpoint -v 0 >/dev/null || echo "!! dcc audit checkpoint failed: run dcc audit verify" >&2
  # The diffusion outbox: a run at each (re)start takes back deliveries a killed worker left "en cours" and sends
  # what is due (each run schedules the next one at the earliest retry).
  dcc outbox send --enqueue >/dev/null || echo "!! dcc outbox send failed" >&2
  # The daily account lifecycle (inactivity warnings and deactivations): one run queued if none is waiting; each
  # run queues the next one for the following night.
  dcc accounts-lifecycle --enqueue >/dev/null || echo "!! dcc accounts-lifecycle --enqueue failed" >&2
  # Notifications: the emails a killed worker left "en cours" are taken back; the daily reminder task is queued
  # unless it already waits in the queue.
  dcc notifications send --enqueue >/dev/null || echo "!! dcc notifications send failed" >&2
  dcc notifications send-reminders --enqueue >/dev/null || echo "!! dcc notifications send-reminders failed" >&2
  dcc db_worker --queue-name '*' --interval 1 --no-reload --max-tasks "${WORKER_MAX_TASKS:-200}" &
  child=$!
  wait "$child"
  sleep 1  # a worker that ends (recycled, or crashed) is started again
done
