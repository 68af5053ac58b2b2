"""Meeting mode benchmark: `.venv/bin/python -m bench.meeting_mode [--cases 40] [--rounds 3]`.

Builds, in a throw-away test database, a held meeting of N cases (each with a draft fiche, as during a board),
signs a coordinator in through Django's test client (session marked strongly authenticated, as after the second
factor), then measures:
  * page weight of a meeting-mode case (bytes, and gzip-compressed) as served now — the code suggestions fetched
    on demand — beside the same page with the ~1,750 CIM-10 / CIM-O-3 options embedded as before (the raw
    baseline: the page plus the two datalists the former `code_datalists()` built);
  * time to switch case: server time of `GET …/mode-rcp/<i+1>/` walking through every case, median and p95,
    beside the raw baseline of `GET /health` through the same middleware stack;
  * one code-suggestion request (`/rcp/codes/jdv-topographie/?q=C50`): bytes and median time."""

import argparse
import gzip
import statistics
import time

from django.utils.html import format_html_join

from .pdf_render import setup_django


def embedded_datalists() -> str:
    """The datalists every fiche page carried before suggestions were served on demand (same markup)."""
    from oncodcc.terminology import valuesets as vs

    html = ""
    for valueset, list_id in ((vs.TOPOGRAPHY, "jdv-topographie"), (vs.MORPHOLOGY, "jdv-morphologie")):
        options = format_html_join("", '<option value="{}">{} — {}</option>',
                                   ((c.code, c.code, c.display) for c in vs.get(valueset).concepts))
        html += f'<datalist id="{list_id}">{options}</datalist>'
    return html


def build(n_cases: int):
    from oncodcc.rcp.services import fiches
    from tests import factories as f

    board = f.BoardFactory(name="RCP Banc d'essai")
    chair = f.DoctorFactory(username="bench.chair", role="coordinator")
    f.add_member(board, chair.practitioner, coordinator=True)
    meeting = f.hold(f.MeetingFactory(board=board))
    for i in range(1, n_cases + 1):
        registration = f.RegistrationFactory(meeting=meeting, created_by=chair, position=i,
                                             requesting_doctor=chair.practitioner,
                                             presenting_doctor=chair.practitioner)
        fiches.start(actor=chair, registration=registration)
    return chair, meeting


def signed_in_client(user):
    from django.test import Client

    from oncodcc.accounts import strong_auth

    client = Client()
    client.force_login(user)
    session = client.session
    session[strong_auth.SESSION_KEY] = strong_auth.TOTP
    session.save()
    return client


def timed_get(client, url: str, **params) -> tuple[float, bytes]:
    start = time.perf_counter()
    response = client.get(url, params, secure=True)  # the settings redirect plain HTTP to HTTPS
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, response.content


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3, help="walks through the whole meeting")
    args = parser.parse_args()
    connection, old_name = setup_django()
    from django.conf import settings

    # Plain static files, as in the tests (the manifest storage needs collectstatic).
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    try:
        chair, meeting = build(args.cases)
        client = signed_in_client(chair)
        case = f"/rcp/seances/{meeting.pk}/mode-rcp/"
        _, page = timed_get(client, f"{case}{args.cases // 2}/")
        before = page + embedded_datalists().encode()
        switches, health = [], []
        for _ in range(args.rounds):
            for position in range(1, args.cases + 1):
                switches.append(timed_get(client, f"{case}{position}/")[0])
                health.append(timed_get(client, "/health")[0])
        suggest = [timed_get(client, "/rcp/codes/jdv-topographie/", q="C50") for _ in range(20)]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    kib = 1024
    print(f"Meeting mode, {args.cases} cases, {args.rounds} walks ({len(switches)} case switches)\n")
    print("| page | bytes | gzip |")
    print("|---|---|---|")
    print(f"| before: code options embedded (raw baseline) | {len(before) / kib:.0f} KiB | "
          f"{len(gzip.compress(before)) / kib:.0f} KiB |")
    print(f"| now: suggestions on demand | {len(page) / kib:.0f} KiB | {len(gzip.compress(page)) / kib:.0f} KiB |")
    print(f"| one suggestion request (q=C50) | {len(suggest[0][1])} B | — |\n")
    print("| request | median | p95 |")
    print("|---|---|---|")
    print(f"| switch case (GET mode-rcp/<n>/) | {statistics.median(switches) * 1000:.0f} ms | "
          f"{p95(switches) * 1000:.0f} ms |")
    print(f"| raw baseline: GET /health | {statistics.median(health) * 1000:.1f} ms | {p95(health) * 1000:.1f} ms |")
    print(f"| code suggestions (q=C50) | {statistics.median(t for t, _ in suggest) * 1000:.1f} ms | "
          f"{p95([t for t, _ in suggest]) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
