"""`dcc stats`: the same figures as the page, as a table, JSON or CSV; `dcc stats refresh` rebuilds."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from oncodcc.audit.models import AuditEvent
from oncodcc.infocentre.models import DailyActivity
from oncodcc.infocentre.tasks import refresh_rollups

from .conftest import meeting_at, paris, registration, validated


def run(*args) -> str:
    out = io.StringIO()
    call_command("stats", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def activity(region):
    for day in (4, 11):
        meeting = meeting_at(region.board_north, paris(2025, 3, day, 17))
        validated(registration(meeting), paris(2025, 3, day, 19))
    meeting = meeting_at(region.board_south, paris(2024, 3, 5, 17))
    validated(registration(meeting), paris(2024, 3, 6, 9))
    return region


def test_refresh_then_json_table_and_csv(activity):
    assert "Cumuls reconstruits (toutes les années)" in run("refresh")
    assert AuditEvent.objects.filter(action="infocentre.refresh").exists()
    data = json.loads(run("--year", "2025", "--format", "json"))
    figures = {row["key"]: row for row in data["figures"]}
    assert data["scope"] == "region" and data["previous_year"] == 2024
    assert figures["meetings"] == {"key": "meetings", "label": "Séances de RCP", "value": 2, "previous": 1,
                                   "change": 1, "change_percent": 100.0}
    assert [row["key"] for row in data["apart"]] == ["corrections", "pps_updates", "ppac", "postponed"]
    rows = list(csv.reader(io.StringIO(run("--year", "2025", "--format", "csv", "--scope", "territory:SUD"))))
    assert rows[0] == ["indicateur", "libellé", "2025", "2024", "évolution", "évolution (%)"]
    assert rows[1] == ["meetings", "Séances de RCP", "0", "1", "-1", "-100.0"]
    table = run("--year", "2025", "--scope", f"board:{activity.board_north.pk}")
    assert "Le DCC en chiffres — 2025 — RCP — RCP Sein Nord" in table
    assert "Fiches RCP" in table and "Comptés à part" in table


def test_refresh_one_year(activity):
    run("refresh")
    run("refresh", "--year", "2025")
    assert DailyActivity.objects.filter(day__year=2024).exists()
    assert DailyActivity.objects.filter(day__year=2025).count() == 4  # 2 meetings held + 2 fiche days


@pytest.mark.parametrize("scope", ["territory:NOPE", "board:abc", "3c:", "mine", "planet:1"])
def test_bad_scopes(region, scope):
    with pytest.raises(CommandError):
        run("--scope", scope)


def test_the_worker_task_rebuilds(activity):
    totals = refresh_rollups.call(year=2025)
    assert (totals["fiche"], totals["meeting_held"]) == (2, 2)
    assert DailyActivity.objects.filter(day__year=2025).count() == 4
