"""The demo region's past fiches are documents: registered by the loader (no diffusion), rendered afterwards by the
task worker (the backlog after the fiches validated meanwhile), "génération en cours…" on the fiche page until then."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django_tasks_db.models import DBTaskResult

from oncodcc.accounts.models import User
from oncodcc.diffusion.models import Delivery
from oncodcc.documents import services as documents
from oncodcc.documents.models import Document, Rendering
from oncodcc.rcp.models import Fiche
from tests import factories as f

SMALL = {"patients": 40, "months": 2}
PENDING_BADGE = "génération en cours…"


@pytest.fixture
def region(db, settings, django_capture_on_commit_callbacks):
    settings.DEMO_MODE = True
    # The database task backend of `make run` (tests/settings.py keeps it): the renderings wait for the worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_data", stdout=out, **SMALL)
    return out.getvalue()


@pytest.fixture
def committed_region(transactional_db, settings):
    """The region really committed: the worker run in-process closes its database connections between tasks (on
    PostgreSQL a test transaction would not survive it)."""
    settings.DEMO_MODE = True
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("demo_data", stdout=StringIO(), **SMALL)


def work(max_tasks: int) -> None:
    """The worker of `make run` (scripts/worker.sh), for a few tasks."""
    call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "--max-tasks", str(max_tasks),
                 verbosity=0)


def test_every_past_fiche_is_registered_and_queued_without_diffusion(region):
    validated = Fiche.objects.filter(status=Fiche.Status.VALIDATED)
    assert validated.count() >= 40
    assert f"{validated.count()} fiches RCP passées enregistrées" in region
    docs = Document.objects.filter(kind=Document.Kind.FRCP)
    assert docs.count() == validated.count()
    assert set(docs.values_list("fiche_id", flat=True)) == set(validated.values_list("pk", flat=True))
    for doc in docs.select_related("fiche", "organisation")[:20]:
        assert doc.status == Document.Status.CURRENT and doc.author_id == doc.fiche.validated_by_id
        assert doc.created_at == doc.fiche.validated_at  # dated from its signature, not from the loading
        assert doc.organisation is not None
    renderings = Rendering.objects.filter(document__in=docs)
    assert renderings.count() == 2 * docs.count()
    assert set(renderings.values_list("state", flat=True)) == {Rendering.State.PENDING}
    tasks = DBTaskResult.objects.filter(task_path="oncodcc.documents.tasks.render_document")
    assert tasks.count() == docs.count()
    assert set(tasks.values_list("priority", flat=True)) == {documents.BACKLOG_PRIORITY}
    assert sorted(t.args_kwargs["args"][0] for t in tasks) == sorted(docs.values_list("pk", flat=True))
    # Past documents are never sent: the outbox stays empty although the demo hospitals have receivers.
    assert not Delivery.objects.exists()


def test_the_worker_renders_a_fiche_validated_meanwhile_before_the_backlog(committed_region):
    backlog = Document.objects.filter(kind=Document.Kind.FRCP).count()
    generated = Rendering.objects.filter(document__kind=Document.Kind.FRCP, state=Rendering.State.READY)
    fiche = Fiche.objects.filter(status=Fiche.Status.VALIDATED).order_by("pk").first()
    registration = f.RegistrationFactory(meeting=fiche.registration.meeting, patient=fiche.patient)
    fresh = f.complete_fiche(registration, created_by=fiche.validated_by)
    f.mark_validated(fresh, by=fiche.validated_by)
    with transaction.atomic():  # as in the validation: the task is queued when the registration commits
        # Not diffused here: the send task it would queue is the diffusion tests' business.
        document = documents.register_fiche(fresh, actor=fiche.validated_by, diffuse=False)

    work(1)
    assert set(document.renderings.values_list("state", flat=True)) == {Rendering.State.READY}
    assert generated.count() == 2

    work(2)  # then the past fiches, PDF and CDA each
    ready = Document.objects.filter(kind=Document.Kind.FRCP, renderings__state=Rendering.State.READY).distinct()
    assert ready.count() == 3
    for doc in ready:
        pdf, cda = (doc.renderings.get(format=fmt) for fmt in (Rendering.Format.PDF, Rendering.Format.CDA))
        assert pdf.size > 1000 and cda.size > 1000 and pdf.sha256 and cda.sha256 and not cda.error
    assert DBTaskResult.objects.filter(status="READY").count() == backlog - 2


def test_fiche_page_shows_generation_in_progress_then_the_links(region):
    doctor = User.objects.get(username="medecin")
    fiche = (Fiche.objects.filter(status=Fiche.Status.VALIDATED, registration__meeting__board__name="RCP Sein")
             .order_by("-validated_at").first())
    document = fiche.document
    client = Client()
    client.force_login(doctor)

    page = client.get(f"/rcp/fiches/{fiche.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count(PENDING_BADGE) == 2  # PDF and CDA
    status_url = f"/documents/{document.pk}/statut/"
    assert f'hx-get="{status_url}"' in html  # polled until ready

    documents.render(document.pk)
    fragment = client.get(status_url).content.decode()
    assert PENDING_BADGE not in fragment and "hx-get" not in fragment
    assert f'href="/documents/{document.pk}/pdf/"' in fragment
    assert f'href="/documents/{document.pk}/cda/"' in fragment
    assert client.get(f"/documents/{document.pk}/cda/").status_code == 200


def test_a_failed_rendering_shows_its_error(region, monkeypatch):
    fiche = Fiche.objects.filter(status=Fiche.Status.VALIDATED, registration__meeting__board__name="RCP Sein").first()
    document = fiche.document

    def broken(fiche):
        raise ValueError("gabarit introuvable")

    monkeypatch.setattr("oncodcc.documents.cda.frcp.build_frcp", broken)
    outcome = documents.render(document.pk)
    assert outcome == {Rendering.Format.PDF: Rendering.State.READY, Rendering.Format.CDA: Rendering.State.FAILED}
    cda = document.renderings.get(format=Rendering.Format.CDA)
    assert cda.error == "ValueError: gabarit introuvable" and cda.attempts == 1

    client = Client()
    client.force_login(User.objects.get(username="medecin"))
    html = client.get(f"/rcp/fiches/{fiche.pk}/").content.decode()
    assert "CDA : échec de la génération" in html
    out = StringIO()
    call_command("documents", "render", stdout=out)  # the operator's view: the failure and its reason
    assert (f"Échec : document {document.pk} (Fiche RCP, CDA R2), 1 essai(s) : ValueError: gabarit introuvable"
            in out.getvalue())
    assert "(ValueError: gabarit introuvable)</small>" in html  # shown, not only in a tooltip
    assert PENDING_BADGE not in html


def test_a_region_loaded_before_gets_its_documents_on_the_next_start(region, django_capture_on_commit_callbacks):
    """`make run` runs `dcc demo-data --if-empty` at each start: a region loaded by an earlier version (past fiches
    without documents) gets them registered and queued, once."""
    validated = Fiche.objects.filter(status=Fiche.Status.VALIDATED).count()
    Document.objects.filter(kind=Document.Kind.FRCP).delete()
    DBTaskResult.objects.all().delete()

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_data", "--if-empty", stdout=out)
    assert f"{validated} fiches RCP passées enregistrées dans l'entrepôt de documents" in out.getvalue()
    assert Document.objects.filter(kind=Document.Kind.FRCP).count() == validated
    assert DBTaskResult.objects.filter(priority=documents.BACKLOG_PRIORITY).count() == validated
    assert not Delivery.objects.exists()

    out = StringIO()
    call_command("demo_data", stdout=out)
    assert "déjà chargée" in out.getvalue()
    assert Document.objects.filter(kind=Document.Kind.FRCP).count() == validated


def test_a_past_document_looked_at_is_rendered_next(committed_region):
    """Its page polls the renderings: its task leaves the backlog, so the worker renders it before the others."""
    fiche = (Fiche.objects.filter(status=Fiche.Status.VALIDATED, registration__meeting__board__name="RCP Sein")
             .order_by("-pk").first())
    document = fiche.document
    task = DBTaskResult.objects.get(args_kwargs__args__0=document.pk)
    assert task.priority == documents.BACKLOG_PRIORITY
    client = Client()
    client.force_login(User.objects.get(username="medecin"))

    fragment = client.get(f"/documents/{document.pk}/statut/").content.decode()
    assert PENDING_BADGE in fragment
    task.refresh_from_db()
    assert task.priority == 0
    assert DBTaskResult.objects.filter(priority=documents.BACKLOG_PRIORITY).count() == Document.objects.filter(
        kind=Document.Kind.FRCP).count() - 1

    work(1)
    assert set(document.renderings.values_list("state", flat=True)) == {Rendering.State.READY}
    fragment = client.get(f"/documents/{document.pk}/statut/").content.decode()
    assert f'href="/documents/{document.pk}/pdf/"' in fragment


def test_someone_without_access_cannot_poll_nor_expedite(region):
    fiche = Fiche.objects.filter(status=Fiche.Status.VALIDATED).order_by("pk").first()
    outsider = f.DoctorFactory()
    client = Client()
    client.force_login(outsider)
    assert client.get(f"/documents/{fiche.document.pk}/statut/").status_code == 403
    assert DBTaskResult.objects.get(args_kwargs__args__0=fiche.document.pk).priority == documents.BACKLOG_PRIORITY
