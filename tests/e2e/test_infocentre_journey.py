"""Le DCC en chiffres in the browser: the DSRC administrator opens /statistiques/ from the navigation, sees the
seven figures and their charts (Chart.js served locally, under the strict CSP), drills down territory → 3C →
board, exports a table as CSV and opens the quality indicators; then the DSRC's epidemiologist searches the
fiches for "HER2 positif" restricted to the RCP Sein, sees pseudonymised rows with the words marked, saves the
search and exports it as XLSX."""

import csv
import io
from datetime import timedelta

import openpyxl
from django.utils import timezone
from playwright.sync_api import expect

from oncodcc.directory.models import Territory
from oncodcc.infocentre import rollups, search_index
from oncodcc.infocentre.pseudonyms import pseudonym
from oncodcc.questionnaires import engine
from oncodcc.questionnaires import services as organ_forms
from oncodcc.questionnaires.definition import parse
from oncodcc.questionnaires.models import Questionnaire
from tests import factories as f
from tests.infocentre.conftest import meeting_at, registration, validated
from tests.questionnaires.helpers import breast

S = "urn:oncodcc:codesystem:sein"


def test_dsrc_figures_drill_down_and_export(page, live_server, login, transactional_db):
    dsrc = f.DsrcFactory()
    north = Territory.objects.create(name="Territoire Littoral", code="LITTORAL", dsrc=dsrc)
    ccc = f.CccFactory(parent=dsrc, territory=north, name="3C Littoral")
    board = f.BoardFactory(managing_3c=ccc, name="RCP Sein Littoral")
    thorax = f.BoardFactory(managing_3c=ccc, name="RCP Thorax Littoral", organs=["MED-255"])
    organ_forms.publish(parse(breast()), source="sein.json")
    form = Questionnaire.objects.get(url="urn:oncodcc:questionnaire:sein")
    now = timezone.now()
    fiches = []
    for days in (3, 2):
        meeting = meeting_at(board, now - timedelta(days=days))
        for _ in range(3):
            fiches.append(validated(registration(meeting), now - timedelta(days=days) + timedelta(hours=1)))
    her2 = fiches[0]
    organ_forms.store(her2, form, engine.validate(form.form, {"her2_ihc": f"{S}|3+", "her2_statut": f"{S}|positif"}))
    elsewhere = validated(registration(meeting_at(thorax, now - timedelta(days=2))), now - timedelta(days=1))
    elsewhere.comments = "Antécédent de cancer du sein HER2 positif."
    elsewhere.save()
    rollups.rebuild()
    search_index.rebuild()
    f.UserFactory(role="admin_dsrc", organisation=dsrc, username="admindsrc")
    f.UserFactory(role="epidemiologist", organisation=dsrc, username="epidemio")
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)

    login(page, "admindsrc")
    page.get_by_role("link", name="Statistiques").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Le DCC en chiffres")
    expect(page.locator("[data-figure]")).to_have_count(7)
    expect(page.locator('[data-figure="meetings"]')).to_have_text("3")  # two of the Sein board, one of Thorax
    expect(page.locator('[data-figure="fiches"]')).to_have_text("7")
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
    assert rows[1][:2] == ["Séances de RCP", "2"] and rows[2][:2] == ["Fiches RCP", "6"]  # the board's; DSRC: not suppressed

    page.get_by_role("link", name="Indicateurs de qualité").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Indicateurs de qualité des RCP")
    expect(page.get_by_test_id("quality-table")).to_contain_text("RCP Sein Littoral")
    expect(page.get_by_test_id("quality-definitions")).to_contain_text("Items INCa complets")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))")
    expect(page.get_by_role("link", name="Recherche dans les fiches")).to_have_count(0)  # no clinical text

    login(page, "epidemio")
    page.get_by_role("link", name="Recherche dans les fiches").click()
    page.get_by_label("Mots-clés").fill("her2 positif")
    page.get_by_label("RCP", exact=True).select_option(label="RCP Sein Littoral")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_test_id("search-count")).to_contain_text("1 fiche trouvée")
    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text(pseudonym(her2.patient_id))
    expect(results).not_to_contain_text(her2.patient.birth_name.upper())
    expect(results.locator("mark").first).to_be_visible()
    page.get_by_label("Enregistrer cette recherche sous le nom").fill("HER2 positif — Sein")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("link", name="HER2 positif — Sein")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    assert download.value.suggested_filename == "recherche-fiches-pseudonymisee.xlsx"
    with open(download.value.path(), "rb") as handle:  # the download's temporary file has no .xlsx suffix
        header, *rows = list(openpyxl.load_workbook(io.BytesIO(handle.read()))["Données"].values)
    assert len(rows) == 1 and rows[0][header.index("Pseudonyme")] == pseudonym(her2.patient_id)
    assert "HER2 positif" in rows[0][header.index("Marqueurs (formulaire d'organe)")]
    assert not [p for p in problems if "Content Security Policy" in p or "Chart" in p], problems
