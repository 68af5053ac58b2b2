"""Search benchmark: `.venv/bin/python -m bench.fiche_search [--fiches 50000] [--runs 30]`.

Bulk-loads N validated fiches (boards of a region, meetings, patients, registrations, a tumour, the breast form's
HER2 answer for the breast boards, a search document of French clinical text built from a small vocabulary), then
times a keyword + filter search ("her2 positif" on one breast board), p50/p95 in ms over the runs:

* **ours** — `search.run(...)` for the epidemiologist: the policy, the count (up to 1,001), one page of 50 rows with their
  tumours and organ answers, the excerpts (ts_headline / FTS5 snippet), the pseudonyms and the audit events of the
  patients shown (one insert);
* **raw SQL** — the same match and filter written by hand: the count (capped like the page's, at 1,001), then the 50 newest rows with what a row
  shows (meeting, board, patient's birth date and sex, tumour, HER2 column) and the excerpt, in one query (no
  pseudonyms, no audit, no Python objects).

On a throw-away SQLite database, or with DATABASE_URL set, Django's `test_…` database on that PostgreSQL (where the
stored `search_vector` = `to_tsvector('french', infocentre_unaccent(body))` and its GIN index answer). Target (issue 12): p95 ≤ 300 ms and
≤ 2× the raw query."""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path


def setup(tmp: Path):
    """A throw-away database: an SQLite file in `tmp`, or on PostgreSQL a test database of its own name (never
    the `test_…` database a test run beside it may be using)."""
    os.environ["DCC_VAR_DIR"] = str(tmp)
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    if not postgres:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncodcc.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if not postgres:
        call_command("migrate", verbosity=0)
        return connection.close
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_fiche_search_{os.getpid()}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return lambda: connection.creation.destroy_test_db(old_name, verbosity=0)

WORDS = (  # French clinical vocabulary of the synthetic fiches
    "carcinome", "canalaire", "infiltrant", "lobulaire", "métastases", "hépatiques", "osseuses", "pulmonaires",
    "adénopathie", "axillaire", "récidive", "locale", "chimiothérapie", "néoadjuvante", "radiothérapie",
    "adjuvante", "hormonothérapie", "tumorectomie", "mastectomie", "curage", "ganglion", "sentinelle",
    "progression", "réponse", "complète", "partielle", "toxicité", "neuropathie", "scanner", "IRM", "TEP",
    "biopsie", "anatomopathologie", "grade", "récepteurs", "positifs", "négatifs", "surveillance", "essai",
    "thérapeutique", "patiente", "asymptomatique", "altération", "état", "général", "douleur",
)
RAW_COUNT_PG = (
    "SELECT count(*) FROM rcp_fiche f JOIN rcp_registration r ON r.id = f.registration_id "
    "JOIN rcp_meeting m ON m.id = r.meeting_id WHERE f.status = 'validated' AND m.board_id = %s AND f.id IN "
    "(SELECT fiche_id FROM infocentre_fichesearchdocument WHERE search_vector @@ "
    "websearch_to_tsquery('french'::regconfig, infocentre_unaccent(%s)))")
# The page: the 50 newest rows with what a row shows (meeting, board, patient, tumour, HER2 column) and the excerpt.
RAW_PAGE_PG = (
    "SELECT p.id, f.id, m.starts_at, b.name, p.birth_date, p.sex, t.topography, t.morphology, a.stat_biomarker_1, "
    "ts_headline('infocentre_french'::regconfig, d.body, websearch_to_tsquery('french'::regconfig, "
    "infocentre_unaccent(%s)), 'MaxFragments=2, MaxWords=30, MinWords=10') "
    "FROM (" + RAW_COUNT_PG.replace("SELECT count(*)", "SELECT f.id AS fid, m.starts_at AS at") +
    " ORDER BY m.starts_at DESC, f.id DESC LIMIT 50) page "
    "JOIN rcp_fiche f ON f.id = page.fid JOIN rcp_registration r ON r.id = f.registration_id "
    "JOIN rcp_meeting m ON m.id = r.meeting_id JOIN rcp_board b ON b.id = m.board_id "
    "JOIN patients_patient p ON p.id = f.patient_id JOIN infocentre_fichesearchdocument d ON d.fiche_id = f.id "
    "LEFT JOIN rcp_tumour t ON t.fiche_id = f.id "
    "LEFT JOIN questionnaires_ficheanswers a ON a.fiche_id = f.id ORDER BY page.at DESC, page.fid DESC")
RAW_COUNT_SQLITE = (
    "SELECT count(*) FROM rcp_fiche f JOIN rcp_registration r ON r.id = f.registration_id "
    "JOIN rcp_meeting m ON m.id = r.meeting_id WHERE f.status = 'validated' AND m.board_id = %s AND f.id IN "
    "(SELECT rowid FROM infocentre_fiche_fts WHERE infocentre_fiche_fts MATCH %s)")
RAW_PAGE_SQLITE = (
    "SELECT p.id, f.id, m.starts_at, b.name, p.birth_date, p.sex, t.topography, t.morphology, a.stat_biomarker_1, "  # noqa: S608
    "(SELECT snippet(infocentre_fiche_fts, 0, '[', ']', '…', 32) FROM infocentre_fiche_fts "
    "WHERE infocentre_fiche_fts MATCH %s AND rowid = f.id) "
    "FROM (" + RAW_COUNT_SQLITE.replace("SELECT count(*)", "SELECT f.id AS fid, m.starts_at AS at") +
    " ORDER BY m.starts_at DESC, f.id DESC LIMIT 50) page "
    "JOIN rcp_fiche f ON f.id = page.fid JOIN rcp_registration r ON r.id = f.registration_id "
    "JOIN rcp_meeting m ON m.id = r.meeting_id JOIN rcp_board b ON b.id = m.board_id "
    "JOIN patients_patient p ON p.id = f.patient_id LEFT JOIN rcp_tumour t ON t.fiche_id = f.id "
    "LEFT JOIN questionnaires_ficheanswers a ON a.fiche_id = f.id ORDER BY page.at DESC, page.fid DESC")


def load(fiches: int, seed: int = 12) -> tuple:
    from django.db import connection, transaction

    from oncodcc.accounts.models import Role
    from oncodcc.infocentre import search_index
    from oncodcc.infocentre.models import FicheSearchDocument
    from oncodcc.patients.models import Patient
    from oncodcc.questionnaires import services as organ_forms
    from oncodcc.questionnaires.models import FicheAnswers, Questionnaire
    from oncodcc.rcp.models import Fiche, Meeting, Registration, Tumour
    from tests import factories as f

    rng = random.Random(seed)
    organ_forms.load_directory()
    sein = Questionnaire.objects.filter(url="urn:oncodcc:questionnaire:sein").order_by("-pk").first()
    boards = [f.BoardFactory(name=f"RCP Sein {n}") for n in range(4)] + \
        [f.BoardFactory(name=f"RCP Digestif {n}", organs=["MED-251"]) for n in range(8)]
    author = f.UserFactory(role=Role.DOCTOR)
    practitioner = f.PractitionerFactory()
    epidemiologist = f.UserFactory(role=Role.EPIDEMIOLOGIST, username="bench-epi")
    start = datetime(2023, 1, 3, 16, tzinfo=UTC)
    with transaction.atomic():
        meetings = Meeting.objects.bulk_create(
            [Meeting(board=board, starts_at=start + timedelta(days=7 * week, hours=i), status="closed")
             for i, board in enumerate(boards) for week in range(150)], batch_size=2000)
        patients = Patient.objects.bulk_create(
            [Patient(birth_name=f"NOM{n}", birth_given_names="Marie", first_birth_given_name="Marie",
                     birth_date=date(1940 + n % 50, 1 + n % 12, 1 + n % 28), sex="F")
             for n in range(max(1, fiches * 2 // 5))], batch_size=5000)
        registrations, rows = [], []
        for _ in range(fiches):
            meeting = meetings[rng.randrange(len(meetings))]
            registrations.append(Registration(meeting=meeting, patient=patients[rng.randrange(len(patients))],
                                              requesting_doctor=practitioner, presenting_doctor=practitioner,
                                              question="Conduite à tenir ?", created_by=author))
        Registration.objects.bulk_create(registrations, batch_size=5000)
        for registration in registrations:
            text = " ".join(rng.choice(WORDS) for _ in range(60))
            rows.append(Fiche(registration=registration, patient_id=registration.patient_id, set_id=uuid.uuid4(),
                              status="validated", validated_at=registration.meeting.starts_at + timedelta(hours=2),
                              question="Conduite à tenir ?", case_summary=text, created_by=author,
                              organs=registration.meeting.board.organs))
        Fiche.objects.bulk_create(rows, batch_size=5000)
        Tumour.objects.bulk_create([Tumour(fiche=fiche, topography="C50.4", morphology="8500/3") for fiche in rows],
                                   batch_size=5000)
        breast_ids = {b.pk for b in boards[:4]}
        answers, documents = [], []
        for fiche, registration in zip(rows, registrations, strict=True):
            her2 = ""
            if registration.meeting.board_id in breast_ids:
                her2 = rng.choice(["positif", "negatif", "low"])
                answers.append(FicheAnswers(fiche=fiche, questionnaire=sein, stat_biomarker_1=her2))
            label = {"positif": "HER2 positif", "negatif": "HER2 négatif (score 0)", "low": "HER2-low"}.get(her2, "")
            documents.append(FicheSearchDocument(fiche=fiche, set_id=fiche.set_id,
                                                 body=f"{fiche.question}\n{fiche.case_summary}\n"
                                                      f"Statut HER2 retenu : {label}"))
        FicheAnswers.objects.bulk_create(answers, batch_size=5000)
        FicheSearchDocument.objects.bulk_create(documents, batch_size=5000)
        if search_index.uses_fts5():
            with connection.cursor() as cursor:
                cursor.executemany("INSERT INTO infocentre_fiche_fts (rowid, body) VALUES (%s, %s)",
                                   [(d.fiche_id, d.body) for d in documents])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return epidemiologist, boards[0]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def measure(runs: int, epidemiologist, board) -> dict:
    from django.db import connection

    from oncodcc.infocentre import search, search_backend
    from oncodcc.infocentre.search_form import SearchForm

    text = "her2 positif"
    form = SearchForm({"q": text, "board": board.pk})
    assert form.is_valid(), form.errors
    sqlite = connection.vendor == "sqlite"
    params = [board.pk, search_backend.fts5_query(text) if sqlite else text]
    page_params = [params[1], *params]  # the excerpt's query, then the match's
    count_sql, page_sql = (RAW_COUNT_SQLITE, RAW_PAGE_SQLITE) if sqlite else (RAW_COUNT_PG, RAW_PAGE_PG)
    # Counted up to the same cap as the page (search.COUNT_LIMIT): "more than 1,000" for a broad search.
    count_sql = (f"SELECT count(*) FROM ({count_sql.replace('SELECT count(*)', 'SELECT 1', 1)} "  # noqa: S608
                 f"LIMIT {search.COUNT_LIMIT + 1}) capped")
    ours, raw = [], []
    result = search.run(actor=epidemiologist, form=form)  # warm-up (and the number of hits)
    for _ in range(runs):
        started = time.perf_counter()
        search.run(actor=epidemiologist, form=form)
        ours.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(count_sql, params)
            cursor.fetchone()
            cursor.execute(page_sql, page_params)
            cursor.fetchall()
        raw.append((time.perf_counter() - started) * 1000)
    return {"hits": result.total, "ours": percentiles(ours), "raw": percentiles(raw)}


def explain(board) -> None:
    from django.db import connection

    from oncodcc.infocentre import search_backend

    sqlite = connection.vendor == "sqlite"
    sql = RAW_COUNT_SQLITE if sqlite else RAW_COUNT_PG
    params = [board.pk, search_backend.fts5_query("her2 positif") if sqlite else "her2 positif"]
    with connection.cursor() as cursor:
        cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ANALYZE ") + sql, params)
        for line in cursor.fetchall():
            print("  ", *line)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fiches", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--explain", action="store_true", help="print the raw query's plan (EXPLAIN ANALYZE)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        cleanup = setup(Path(tmp))
        try:
            from django.db import connection

            started = time.perf_counter()
            epidemiologist, board = load(args.fiches)
            print(f"{args.fiches} fiches loaded on {connection.vendor} in {time.perf_counter() - started:.0f} s",
                  flush=True)
            if args.explain:
                explain(board)
            figures = measure(args.runs, epidemiologist, board)
        finally:
            cleanup()
    (ours50, ours95), (raw50, raw95) = figures["ours"], figures["raw"]
    print(f"search 'her2 positif' on one breast board: {figures['hits']} hits, {args.runs} runs")
    print(f"  ours (search.run: count, 50 rows, excerpts, audit)  p50 {ours50:7.1f} ms   p95 {ours95:7.1f} ms")
    print(f"  raw SQL (count + 50 rows with excerpts)             p50 {raw50:7.1f} ms   p95 {raw95:7.1f} ms")
    print(f"  ratio ours / raw: p50 {ours50 / raw50:.1f}×, p95 {ours95 / raw95:.1f}×")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncodcc.settings")
    sys.exit(main(sys.argv[1:]))
