"""A visitor of the demo region opens a past fiche while the worker is still producing the past documents: the page
says "génération en cours…", which moves its rendering ahead of the backlog, and, without a reload, shows the PDF
and CDA links once the worker has rendered it."""

import time
from io import StringIO

from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import expect

from oncodcc.demo.accounts import DEMO_PASSWORD
from oncodcc.documents.models import Rendering
from oncodcc.rcp.models import Fiche


def test_past_fiche_shows_generation_then_its_documents(page, live_server, login, transactional_db, settings):
    settings.DEMO_MODE = True
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("demo_data", stdout=StringIO(), patients=30, months=2)
    fiche = (Fiche.objects.filter(status=Fiche.Status.VALIDATED, registration__meeting__board__name="RCP Sein")
             .order_by("-validated_at").first())
    document = fiche.document
    assert set(document.renderings.values_list("state", flat=True)) == {Rendering.State.PENDING}

    login(page, "medecin", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/rcp/fiches/{fiche.pk}/")
    renderings = page.locator(f"#renderings-{document.pk}")
    expect(renderings.get_by_text("PDF : génération en cours…")).to_be_visible()
    expect(renderings.get_by_text("CDA : génération en cours…")).to_be_visible()

    # The page's first poll takes the document out of the backlog: the worker's next task renders it.
    task = DBTaskResult.objects.get(args_kwargs__args__0=document.pk)
    deadline = time.monotonic() + 10
    while task.priority != 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        task.refresh_from_db()
    assert task.priority == 0, "the polling did not expedite the rendering"
    call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "--max-tasks", "1", verbosity=0)
    assert set(document.renderings.values_list("state", flat=True)) == {Rendering.State.READY}
    # htmx polls the fragment every 2 s: the links replace the badges without a reload.
    expect(page.locator(f"#renderings-{document.pk}").get_by_role("link", name="PDF")).to_be_visible(timeout=10_000)
    cda = page.locator(f"#renderings-{document.pk}").get_by_role("link", name="CDA")
    expect(cda).to_have_attribute("href", f"/documents/{document.pk}/cda/")
    expect(page.get_by_text("génération en cours…")).to_have_count(0)
    with page.expect_download() as download:
        cda.click()
    assert download.value.suggested_filename.endswith(".xml")
