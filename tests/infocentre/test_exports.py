"""CSV and XLSX exports of every table: opened and checked, small-count suppression outside the DSRC,
audited without any patient."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from oncodcc.audit.models import AuditEvent
from oncodcc.infocentre import exports
from oncodcc.infocentre.models import DeclaredActivity

from .conftest import meeting_at, paris, registration, validated


@pytest.fixture
def activity_2025(region):
    """North: 6 fiches in 2 meetings (and 20 reports declared elsewhere); south: 2 fiches in 1 meeting."""
    from oncodcc.infocentre import rollups

    for day, n in ((4, 3), (11, 3)):
        meeting = meeting_at(region.board_north, paris(2025, 3, day, 17))
        for _ in range(n):
            validated(registration(meeting), paris(2025, 3, day, 19))
    south = meeting_at(region.board_south, paris(2025, 3, 5, 17))
    for _ in range(2):
        validated(registration(south), paris(2025, 3, 6, 9))
    DeclaredActivity.objects.create(board=region.board_north, month=date(2025, 5, 1), reports=20,
                                    declared_by=region.users["admin3c"])
    rollups.rebuild()
    return region


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def read_xlsx(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Données", "Notes"]
    return list(book["Données"].iter_rows(values_only=True))


def url(table: str, fmt: str) -> str:
    return reverse("infocentre:export", args=[table, fmt])


def test_dsrc_exports_are_not_suppressed(client, activity_2025):
    client.force_login(activity_2025.users["dsrc"])
    rows = read_csv(client.get(url("activite", "csv"), {"annee": 2025}))
    assert rows[0][:4] == ["Territoire", "RCP actives", "Séances tenues", "Fiches RCP (OncoDCC)"]
    body = {row[0]: row[1:] for row in rows[1:]}
    assert body["Territoire Nord"] == ["1", "2", "6", "6", "20", "23,1"]
    assert body["Territoire Sud"] == ["1", "1", "2", "2", "0", "100,0"]
    assert body["Total"] == ["2", "3", "8", "8", "20", "28,6"]
    sheet = read_xlsx(client.get(url("chiffres", "xlsx"), {"annee": 2025}))
    assert sheet[0] == ("Indicateur", "2025", "2024", "Évolution", "Évolution (%)")
    assert sheet[1][:3] == ("Séances de RCP", 3, 0)
    assert sheet[2][:3] == ("Fiches RCP", 8, 0)
    event = AuditEvent.objects.get(action="infocentre.export", details__format="xlsx")
    assert event.patient_id is None and event.details["suppressed"] is False
    assert event.details["scope"] == "region" and event.details["table"] == "chiffres"


def test_exports_leaving_the_dsrc_mask_small_counts(client, activity_2025):
    client.force_login(activity_2025.users["admin3c"])
    scope = f"3c:{activity_2025.ccc_north.national_id}"
    rows = read_csv(client.get(url("activite", "csv"), {"annee": 2025, "perimetre": scope}))
    # One board: 1 active board, 2 meetings, 6 fiches, 6 patients, 20 declared.
    assert rows[1] == ["RCP Sein Nord", "< 5", "< 5", "6", "6", "20", "23,1"]
    sheet = read_xlsx(client.get(url("chiffres", "xlsx"), {"annee": 2025, "perimetre": scope}))
    meetings = sheet[1]
    assert meetings[:3] == ("Séances de RCP", "< 5", 0)
    assert meetings[3:] == ("—", "—")  # the change would reveal the masked count
    monthly = read_csv(client.get(url("mois", "csv"), {"annee": 2025, "perimetre": scope}))
    assert monthly[3] == ["mars", "< 5", "6", "0"]
    events = AuditEvent.objects.filter(action="infocentre.export")
    assert events.count() == 3 and all(e.details["suppressed"] for e in events)
    book = load_workbook(io.BytesIO(client.get(url("chiffres", "xlsx"), {"annee": 2025}).content))
    notes = [row[0] for row in book["Notes"].iter_rows(values_only=True)]
    assert any("Petits effectifs masqués" in note for note in notes)


def test_suppression_rules():
    table = exports.Table("t", "T", [exports.Column("label", "L", "label"), exports.Column("a", "A"),
                                     exports.Column("b", "B"),
                                     exports.Column("d", "D", "derived", ("a", "b"))],
                          [{"label": "x", "a": 0, "b": 5, "d": 5}, {"label": "y", "a": 1, "b": 4, "d": 3},
                           {"label": "z", "a": 12, "b": 7, "d": 5}])
    rows = exports.suppress(table).rows
    assert rows == [{"label": "x", "a": 0, "b": 5, "d": 5}, {"label": "y", "a": "< 5", "b": "< 5", "d": "—"},
                    {"label": "z", "a": 12, "b": 7, "d": 5}]


def test_unknown_table_or_format(client, region):
    client.force_login(region.users["dsrc"])
    assert client.get(url("patients", "csv")).status_code == 404
    assert client.get(url("chiffres", "pdf")).status_code == 404
    assert not AuditEvent.objects.filter(action="infocentre.export").exists()


def test_the_pages_draw_their_charts_from_json_script(client, activity_2025):
    client.force_login(activity_2025.users["dsrc"])
    html = client.get(reverse("infocentre:figures"), {"annee": 2025}).content.decode()
    assert 'id="chart-figures" type="application/json"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "infocentre/charts.js" in html
    assert "<script>" not in html  # no inline script (CSP)
    activity = client.get(reverse("infocentre:activity"), {"annee": 2025}).content.decode()
    assert 'id="chart-activity"' in activity
    assert "perimetre=territory%3ANORD" in activity  # drill-down to the territory
    territory = client.get(reverse("infocentre:activity"), {"annee": 2025, "perimetre": "territory:NORD"})
    assert f"perimetre=3c%3A{activity_2025.ccc_north.national_id}" in territory.content.decode()
    ccc = client.get(reverse("infocentre:activity"),
                     {"annee": 2025, "perimetre": f"3c:{activity_2025.ccc_north.national_id}"})
    assert f"perimetre=board%3A{activity_2025.board_north.pk}" in ccc.content.decode()
