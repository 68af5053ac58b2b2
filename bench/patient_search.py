"""Patient search at regional scale: `python -m bench.patient_search [--load 300000] [--runs 50] [--explain]`.

Needs PostgreSQL (the trigram index exists only there) and a throw-away database of its own, never `test`:

    psql -h 127.0.0.1 -U postgres -c 'create database scale_bench'
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scale_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scale_bench .venv/bin/python -m bench.patient_search --load 300000

`--load N` adds N synthetic patients (Faker fr_FR names: 80 % from its 400 surnames with a skewed frequency, so the
commonest is shared by thousands; 20 % rare invented surnames), one IPP each from 60 hospitals, written with COPY;
and a bench doctor whose care team holds 0.5 % of them (and GP of 0.1 %). Then, for three questions asked by that
doctor — common surname, rare surname, name + birth date — it prints p50/p95 of:

* **ours** — `patients.selectors.search_patients` end to end (candidates, access rules, the audit events);
* **OR form** — the same question asked as it was before issue 16 (the name ORed with the IPP, then the access
  rules), its query alone: what the search cost before;
* for the two surnames, **FHIR** `GET /fhir/Patient?family=…&_count=50` through Django's test client with the
  doctor's session (middleware, view, Bundle, audit), beside the same raw SQL;
* **raw SQL** — the minimal hand-written SQL answering the same question (each indexed branch with the access check,
  then the page), through the same connection.

`--explain` also prints EXPLAIN (ANALYZE, BUFFERS) of the OR form and of ours.
"""

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOSPITALS = 60
BENCH_USER = "bench-search-doctor"


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncodcc.settings")
    import django

    django.setup()


# --- loading ------------------------------------------------------------------------------------------------------


def _hospitals():
    from oncodcc.directory.models import Organisation

    hospitals = []
    for n in range(HOSPITALS):
        finess = f"99{n:07d}"
        organisation, _ = Organisation.objects.get_or_create(
            finess=finess, defaults={"name": f"Centre hospitalier bench {n}", "kind": Organisation.Kind.LEGAL_ENTITY,
                                     "oid": f"1.2.250.1.999.777.{n}"})
        hospitals.append(organisation)
    return hospitals


def _bench_doctor(hospital):
    from oncodcc.accounts.models import Role, User
    from oncodcc.directory.models import Practitioner

    practitioner, _ = Practitioner.objects.get_or_create(
        rpps="19999999999", defaults={"last_name": "Banc", "first_name": "Essai", "specialty": "G15_10/SM36"})
    practitioner.organisations.add(hospital)
    user, _ = User.objects.get_or_create(
        username=BENCH_USER, defaults={"role": Role.DOCTOR, "practitioner": practitioner, "first_name": "Essai",
                                       "last_name": "Banc"})
    return user


def load(count: int, seed: int = 16) -> None:
    from django.db import connection, transaction
    from faker.providers.person.fr_FR import Provider

    from oncodcc.core.text import fold

    rng = random.Random(seed)
    hospitals = _hospitals()
    doctor = _bench_doctor(hospitals[0])
    from oncodcc.demo.regional import surname_picker

    common, surname = surname_picker(rng)  # the regional dataset's names (dcc demo-data --scale region)
    female, male = list(Provider.first_names_female), list(Provider.first_names_male)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM patients_patient")
        first_id = cursor.fetchone()[0] + 1
    started = time.perf_counter()
    batch = 50_000
    for start in range(0, count, batch):
        patients, identifiers, care, gp_of = io.StringIO(), io.StringIO(), [], []
        for pk in range(first_id + start, first_id + min(count, start + batch)):
            sex = rng.choice("FM")
            given = [rng.choice(female if sex == "F" else male) for _ in range(rng.choice((1, 2, 2, 3)))]
            birth = surname()
            used = surname() if sex == "F" and rng.random() < 0.3 else ""
            born = date(1930, 1, 1) + timedelta(days=rng.randrange(80 * 365))
            text = fold(" ".join([birth, used, " ".join(given), ""]))
            patients.write("\t".join([str(pk), birth, " ".join(given), given[0], born.isoformat(), sex, "31555", used,
                                      "", "", "", "PROV", "[]", text, "2026-01-01 00:00:00+00",
                                      "2026-01-01 00:00:00+00", "f"]) + "\n")
            hospital = hospitals[pk % HOSPITALS]
            identifiers.write(f"{hospital.oid}\t{pk:09d}\t{hospital.pk}\t{pk}\n")
            if rng.random() < 0.005:
                care.append(pk)
            if rng.random() < 0.001:
                gp_of.append(pk)
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.copy(
                "COPY patients_patient (id, birth_name, birth_given_names, first_birth_given_name, birth_date, sex, "
                "birthplace_insee, used_name, used_given_name, ins_matricule, ins_oid, identity_status, "
                "identity_flags, search_text, created_at, updated_at, dmp_opposition) FROM STDIN") as copy:
                copy.write(patients.getvalue())
            with cursor.copy("COPY patients_patientidentifier (system, value, organisation_id, patient_id) "
                             "FROM STDIN") as copy:
                copy.write(identifiers.getvalue())
            cursor.executemany(
                "INSERT INTO patients_careteammember (patient_id, practitioner_id, role, since) "
                "VALUES (%s, %s, 'specialist', '2026-01-01')", [(pk, doctor.practitioner_id) for pk in care])
            cursor.execute("UPDATE patients_patient SET gp_id = %s WHERE id = ANY(%s)",
                           [doctor.practitioner_id, gp_of])
        done = min(count, start + batch)
        print(f"  {done:,} patients loaded ({time.perf_counter() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('patients_patient', 'id'), max(id)) "
                       "FROM patients_patient")
        cursor.execute("ANALYZE patients_patient")
        cursor.execute("ANALYZE patients_patientidentifier")
        cursor.execute("ANALYZE patients_careteammember")
    print(f"loaded {count:,} patients in {time.perf_counter() - started:.0f} s; commonest surname: {common}")


# --- measuring ----------------------------------------------------------------------------------------------------


def _questions():
    """Common surname, rare surname, name + birth date: taken from the data, so that each finds patients."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT birth_name, count(*) FROM patients_patient GROUP BY birth_name "
                       "ORDER BY count(*) DESC LIMIT 1")
        common, common_count = cursor.fetchone()
        cursor.execute("SELECT birth_name FROM patients_patient GROUP BY birth_name HAVING count(*) BETWEEN 1 AND 3 "
                       "ORDER BY birth_name LIMIT 1")
        rare = cursor.fetchone()[0]
        cursor.execute("SELECT birth_name, birth_date FROM patients_patient WHERE birth_name = %s "
                       "ORDER BY id LIMIT 1 OFFSET 17", [common])
        named, born = cursor.fetchone()
    return [
        (f"common surname ({common}, {common_count:,} patients)", common, None),
        (f"rare surname ({rare})", rare, None),
        (f"name + birth date ({named} {born:%d/%m/%Y})", named, born),
    ]


def _or_form(user, text: str, born):
    """The search as written before issue 16: name ORed with the IPP, then the access rules (one query)."""
    from django.db.models import Q

    from oncodcc.core.text import fold
    from oncodcc.patients.models import Patient, PatientIdentifier
    from oncodcc.patients.policy import patient_scope

    name = Q()
    for token in fold(text).split():
        name &= Q(search_text__contains=token)
    criteria = name | Q(pk__in=PatientIdentifier.objects.filter(value=text.replace(" ", "")).values("patient_id"))
    if born:
        criteria &= Q(birth_date=born)
    return (Patient.objects.filter(merged_into__isnull=True).filter(criteria).filter(patient_scope(user))
            .order_by("birth_name", "first_birth_given_name", "birth_date")[:51])


# The doctor's relations: care team, GP, creator of the record (the bench doctor holds no board or registration).
CANDIDATES_SQL = """
SELECT id FROM patients_patient WHERE search_text LIKE %(like)s {born}
  AND (id IN (SELECT patient_id FROM patients_careteammember WHERE practitioner_id = %(practitioner)s)
       OR gp_id = %(practitioner)s OR created_by_id = %(user)s)
UNION SELECT id FROM patients_patient
WHERE id IN (SELECT patient_id FROM patients_patientidentifier WHERE value = %(compact)s)
  AND (id IN (SELECT patient_id FROM patients_careteammember WHERE practitioner_id = %(practitioner)s)
       OR gp_id = %(practitioner)s OR created_by_id = %(user)s)
"""
PAGE_SQL = """
SELECT * FROM patients_patient WHERE id = ANY(%(ids)s) AND merged_into_id IS NULL
ORDER BY birth_name, first_birth_given_name, birth_date LIMIT 51
"""


def _raw(cursor, user, text: str, born) -> None:
    """The patient's relations (care team, GP, creator) checked in each indexed branch, then the page: two
    statements, as ours (ours also checks the board and registration relations, and writes the audit events)."""
    from oncodcc.core.text import fold

    cursor.execute(CANDIDATES_SQL.format(born="AND birth_date = %(born)s" if born else ""),
                   {"like": f"%{fold(text)}%", "compact": text.replace(" ", ""), "born": born,
                    "practitioner": user.practitioner_id, "user": user.pk})
    cursor.execute(PAGE_SQL, {"ids": [row[0] for row in cursor.fetchall()]})
    cursor.fetchall()


def _timed(function, runs: int) -> tuple[float, float]:
    function()  # warm the caches: every variant is measured hot
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def _fhir_client(user):
    """The bench doctor's browser session (signed in with the second factor) on the FHIR API: reads accept it."""
    from django.conf import settings
    from django.test import Client

    from oncodcc.accounts import strong_auth

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # this process only: the test client's host
    client = Client()
    client.force_login(user)
    session = client.session
    session[strong_auth.SESSION_KEY] = strong_auth.TOTP
    session.save()
    return client


def _fhir_search(client, family: str) -> None:
    response = client.get("/fhir/Patient", {"family": family, "_count": "50"}, headers={"Accept": "application/fhir+json"}, secure=True)
    if response.status_code != 200:
        raise SystemExit(f"FHIR search answered {response.status_code}: {response.content[:300]!r}")


def _explain(label: str, queryset) -> None:
    print(f"--- EXPLAIN {label}")
    print(queryset.explain(analyze=True, buffers=True))


def measure(runs: int, explain: bool) -> None:
    from django.db import connection

    from oncodcc.accounts.models import User
    from oncodcc.patients.models import Patient
    from oncodcc.patients.selectors import parse_query, search_patients

    user = User.objects.select_related("practitioner").get(username=BENCH_USER)
    print(f"{Patient.objects.count():,} patients; {connection.vendor} "
          f"(jit={_setting('jit')}, work_mem={_setting('work_mem')}); {runs} runs each, p50 / p95 ms")
    print(f"{'question':<52} {'ours':>15} {'OR form':>15} {'raw SQL':>13} {'ours/raw':>9}")
    for label, text, born in _questions():
        query = parse_query(text, born)
        ours = _timed(lambda: search_patients(user=user, query=query), runs)  # noqa: B023
        before = _timed(lambda: list(_or_form(user, text, born)), runs)  # noqa: B023
        with connection.cursor() as cursor:
            raw = _timed(lambda: _raw(cursor, user, text, born), runs)  # noqa: B023
        print(f"{label:<52} {ours[0]:6.1f} / {ours[1]:6.1f} {before[0]:6.1f} / {before[1]:6.1f} "
              f"{raw[0]:5.1f} / {raw[1]:5.1f} {ours[1] / raw[1]:8.1f}×", flush=True)
        if not born:
            client = _fhir_client(user)
            fhir = _timed(lambda: _fhir_search(client, text), runs)  # noqa: B023
            print(f"{'  FHIR Patient?family=… (HTTP, test client)':<52} {fhir[0]:6.1f} / {fhir[1]:6.1f} "
                  f"{'':>15} {raw[0]:5.1f} / {raw[1]:5.1f} {fhir[1] / raw[1]:8.1f}×", flush=True)
        if explain:
            from oncodcc.patients import selectors
            from oncodcc.patients.policy import patient_scope

            _explain(f"OR form — {label}", _or_form(user, text, born))
            _explain(f"ours (candidates within the access rules) — {label}",
                     selectors._candidates(query, patient_scope(user)))


def _setting(name: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", type=int, default=0, metavar="N", help="first add N synthetic patients (COPY)")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or url.rstrip("/").endswith("/test"):
        print("bench.patient_search needs DATABASE_URL on a throw-away PostgreSQL database (not `test`), see --help",
              file=sys.stderr)
        return 2
    _setup_django()
    from oncodcc.patients.models import Patient

    if args.load:
        load(args.load)
    elif not Patient.objects.exists():
        print("no patients: load them first with --load N", file=sys.stderr)
        return 2
    measure(args.runs, args.explain)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
