"""Le DCC en chiffres in the browser: the DSRC administrator opens /statistiques/ from the navigation, sees the
seven figures and their charts (Chart.js served locally, under the strict CSP), drills down territory → 3C →
board, and exports a table as CSV."""

import csv
import io
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from oncodcc.directory.models import Territory
from oncodcc.infocentre import rollups
from tests import factories as f
from tests.infocentre.conftest import meeting_at, registration, validated


def test_dsrc_figures_drill_down_and_export(page, live_server, login, transactional_db):
    dsrc = f.DsrcFactory()
    north = Territory.objects.create(name="Territoire Littoral", code="LITTORAL", dsrc=dsrc)
    ccc = f.CccFactory(parent=dsrc, territory=north, name="3C Littoral")
    board = f.BoardFactory(managing_3c=ccc, name="RCP Sein Littoral")
    now = timezone.now()
    for days in (3, 2):
        meeting = meeting_at(board, now - timedelta(days=days))
        for _ in range(3):
            validated(registration(meeting), now - timedelta(days=days) + timedelta(hours=1))
    rollups.rebuild()
    f.UserFactory(role="admin_dsrc", organisation=dsrc, username="admindsrc")
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)

    login(page, "admindsrc")
    page.get_by_role("link", name="Statistiques").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Le DCC en chiffres")
    expect(page.locator("[data-figure]")).to_have_count(7)
    expect(page.locator('[data-figure="meetings"]')).to_have_text("2")
    expect(page.locator('[data-figure="fiches"]')).to_have_text("6")
    expect(page.get_by_text("Séances tenues dans l'année")).to_be_visible()  # the definitions are on the page
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))")

    page.get_by_role("link", name="Activité par territoire, 3C et RCP").click()
    table = page.get_by_test_id("activity-table")
    expect(table).to_contain_text("Territoire Littoral")
    page.get_by_role("link", name="Territoire Littoral").click()
    page.get_by_role("link", name="3C Littoral").click()
    expect(page.get_by_test_id("activity-table")).to_contain_text("RCP Sein Littoral")
    page.get_by_role("link", name="RCP Sein Littoral").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("RCP — RCP Sein Littoral")
    expect(page.locator('[data-figure="fiches"]')).to_have_text("6")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").first.click()
    assert download.value.suggested_filename.startswith("dcc-en-chiffres-")
    with open(download.value.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(io.StringIO(handle.read()), delimiter=";"))
    assert rows[1][:2] == ["Séances de RCP", "2"] and rows[2][:2] == ["Fiches RCP", "6"]  # DSRC: not suppressed
    assert not [p for p in problems if "Content Security Policy" in p or "Chart" in p], problems
