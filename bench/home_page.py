"""Home page at regional scale: `python -m bench.home_page [--user medecin] [--runs 30] [--explain N]`.

Needs the regional dataset in a throw-away PostgreSQL database of its own (never `test`):

    psql -h 127.0.0.1 -U postgres -c 'create database scale_region'
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/scale_region DCC_DEBUG=1
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py demo-data --scale region --patients 60000
    .venv/bin/python -m bench.home_page --explain 3

The demo doctor `medecin` is a member of the demo breast board and of three regional boards. The page is fetched
through Django's test client with the user's session (middleware, views, template, audit events of the patients
shown): p50/p95 of the whole page, then its SQL statements from one run, slowest first, each with its time and
the sum of the statements' times (the raw SQL the page costs); `--explain N` prints EXPLAIN (ANALYZE, BUFFERS) of
the N slowest SELECTs.
"""

import argparse
import os
import sys
import time

from bench.patient_search import _fhir_client, _setting, _setup_django, _timed


def _page(client) -> None:
    response = client.get("/", secure=True)
    if response.status_code != 200:
        raise SystemExit(f"home page answered {response.status_code}")


def _statements(client) -> list[tuple[float, str, tuple]]:
    """Each statement of one page, with its own time (ms), measured around the cursor's execute."""
    from django.db import connection

    timed = []

    def measure(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append(((time.perf_counter() - started) * 1000, sql, params))

    with connection.execute_wrapper(measure):
        _page(client)
    return sorted(timed, key=lambda row: -row[0])


def measure(username: str, runs: int, explain: int) -> None:
    from django.db import connection

    from oncodcc.accounts.models import User
    from oncodcc.patients.models import Patient
    from oncodcc.rcp.models import Fiche, Registration

    user = User.objects.get(username=username)
    client = _fhir_client(user)
    print(f"{Patient.objects.count():,} patients, {Registration.objects.count():,} registrations, "
          f"{Fiche.objects.count():,} fiches; {connection.vendor} (jit={_setting('jit')}, "
          f"work_mem={_setting('work_mem')}); home page of {username}, {runs} runs")
    p50, p95 = _timed(lambda: _page(client), runs)
    statements = _statements(client)
    total = sum(row[0] for row in statements)
    print(f"home page (test client, whole request): p50 {p50:.1f} ms, p95 {p95:.1f} ms; "
          f"{len(statements)} SQL statements, {total:.1f} ms of SQL in one run")
    for elapsed, sql, _ in statements[:8]:
        print(f"  {elapsed:7.1f} ms  {' '.join(sql.split())[:150]}")
    # SELECTs only: EXPLAIN ANALYZE runs the statement, and the page's writes (audit events, session) must not be
    # replayed.
    selects = [row for row in statements if row[1].lstrip().upper().startswith("SELECT")]
    for elapsed, sql, params in selects[:explain]:
        print(f"--- EXPLAIN ({elapsed:.1f} ms) {' '.join(sql.split())[:300]}")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            print("\n".join(row[0] for row in cursor.fetchall()))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--user", default="medecin")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--explain", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or url.rstrip("/").endswith("/test"):
        print("bench.home_page needs DATABASE_URL on a throw-away PostgreSQL database (not `test`), see --help",
              file=sys.stderr)
        return 2
    _setup_django()
    measure(args.user, args.runs, args.explain)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
