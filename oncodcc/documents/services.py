"""Registering generated documents and rendering them (in the task worker)."""

import logging
from contextlib import nullcontext

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django_tasks.base import DEFAULT_TASK_PRIORITY, TaskResultStatus

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action

from . import hooks, store
from .models import Document, Rendering

logger = logging.getLogger(__name__)

LOINC_FRCP = "34794-8"
LOINC_CARE_PLAN = "18776-5"  # "Plan personnalisé de soins"; the PPAC (no national volet) keeps it, told apart by kind
MAX_ATTEMPTS = 3
# Renderings of documents registered in bulk (the demo region's past fiches) wait behind those of fiches validated
# meanwhile: the worker takes the highest priority first.
BACKLOG_PRIORITY = -50


def register_fiche(fiche, *, actor, diffuse: bool = True) -> Document:
    """A validated fiche version becomes a document (inside the validation's transaction); its renderings are
    queued for the worker once the transaction commits, and (diffuse) its deliveries are written to the outbox."""
    return register_fiches([fiche], author=actor, diffuse=diffuse)[0]


def register_fiches(fiches, *, author=None, diffuse: bool = True,
                    priority: int = DEFAULT_TASK_PRIORITY) -> list[Document]:
    """Validated fiche versions become documents in the caller's transaction (a few queries whatever their
    number), authored by `author` (the user validating), else by each fiche's signer. Each supersedes the current
    document of its set.

    diffuse=False registers documents that must not be sent to anyone (the demo region's past fiches, loaded in
    bulk): the registration hooks (the diffusion outbox) are not called, so nothing reaches the outbox. Their
    renderings are queued, at `priority`, when the transaction commits: BACKLOG_PRIORITY lets a fiche validated
    meanwhile be rendered first."""
    fiches = list(fiches)
    if not fiches:
        return []
    Document.objects.filter(set_id__in={f.set_id for f in fiches}, status=Document.Status.CURRENT).update(
        status=Document.Status.SUPERSEDED)
    organisations: dict[tuple[str, int], object] = {}
    documents = Document.objects.bulk_create([
        Document(kind=Document.Kind.FRCP, type_code=LOINC_FRCP, title=f"Fiche RCP — {f.registration.meeting.board.name}",
                 patient=f.patient, fiche=f, set_id=f.set_id, version_number=f.version_number,
                 author=author or f.validated_by, organisation=_issuer(f.registration.meeting, organisations))
        for f in fiches
    ])
    # The document dates from its signature (auto_now_add stamped the time of this registration): one UPDATE.
    ids = [d.pk for d in documents]
    Document.objects.filter(pk__in=ids, fiche__validated_at__isnull=False).update(
        created_at=Subquery(Document.fiche.field.related_model.objects.filter(pk=OuterRef("fiche_id"))
                            .values("validated_at")[:1]))
    for document, fiche in zip(documents, fiches, strict=True):
        document.created_at = fiche.validated_at or document.created_at
    Rendering.objects.bulk_create([Rendering(document=d, format=f) for d in documents for f in Rendering.Format.values],
                                  batch_size=1000)
    if diffuse:
        for document in documents:
            hooks.registered(document, _action(document))
    transaction.on_commit(lambda: enqueue_many(ids, priority=priority))
    return documents


def _issuer(meeting, cache: dict) -> object:
    """The organisation that issues the fiche: the meeting's place, else the board's first hospital, else its 3C
    (looked up once per place and per board when a thousand fiches are registered)."""
    key = ("location", meeting.location_id) if meeting.location_id else ("board", meeting.board_id)
    if key not in cache:
        board = meeting.board
        cache[key] = meeting.location if meeting.location_id else (board.hospitals.first() or board.managing_3c)
    return cache[key]


def register_care_plan(plan, *, actor) -> Document:
    """A validated PPS or PPAC version becomes a document: PDF/A and CDA R2 for both — the PPS in its volet, the PPAC
    (no national volet) as a level-1 CDA carrying its PDF/A ("Structuration minimale", cda/minimal.py)."""
    from oncodcc.careplans.models import CarePlan

    Document.objects.filter(set_id=plan.set_id, status=Document.Status.CURRENT).update(
        status=Document.Status.SUPERSEDED)
    title = "Programme personnalisé de soins" if plan.kind == CarePlan.Kind.PPS else "Programme personnalisé de l'après-cancer"
    document = Document.objects.create(
        kind=plan.kind.lower(), type_code=LOINC_CARE_PLAN, title=title, patient=plan.patient, care_plan=plan,
        set_id=plan.set_id, version_number=plan.version_number, author=actor,
    )
    Rendering.objects.bulk_create([Rendering(document=document, format=f) for f in Rendering.Format.values])
    hooks.registered(document, _action(document))
    transaction.on_commit(lambda: enqueue(document.pk))
    return document


class WithdrawalError(ValueError):
    """The document cannot be withdrawn; the message is French."""


def withdraw(document: Document, *, actor, reason: str) -> Document:
    """Withdraw a generated document registered in error (wrong patient, wrong meeting…): the version is marked
    deleted with who, when and why, and every recipient that had the document set gets a deletion (HL7 OBX-11 D,
    an MSSanté notice, the DMP unpublishing) through the outbox (documents.hooks), in this transaction. The
    caller checks the permission (documents.policy, `document.withdraw`)."""
    reason = " ".join((reason or "").split())
    if len(reason) < 5:
        raise WithdrawalError("Indiquez le motif du retrait (au moins 5 caractères).")
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("patient").get(pk=document.pk)
        if document.is_received:
            raise WithdrawalError("Un document reçu ne peut être retiré que par son émetteur.")
        if document.status != Document.Status.CURRENT:
            raise WithdrawalError("Seule la version en vigueur d'un document peut être retirée.")
        document.status = Document.Status.DELETED
        document.withdrawn_at = timezone.now()
        document.withdrawn_by = actor
        document.withdrawal_reason = reason[:500]
        document.save(update_fields=["status", "withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        audit.record(actor=actor, action=Action.DOCUMENT_WITHDRAW, patient=document.patient, obj=document,
                     reason=reason[:500], details={"kind": document.kind, "set_id": str(document.set_id),
                                                   "version": document.version_number})
        hooks.registered(document, hooks.DELETE)
    return document


def _action(document: Document) -> str:
    """A first version is new; a later one replaces the version it supersedes (the diffusion outbox)."""
    return hooks.REPLACE if document.version_number > 1 else hooks.NEW


def refresh(document: Document) -> None:
    """The document's content changed (e.g. the hand-over date of a PPS): render it again."""
    document.renderings.update(state=Rendering.State.PENDING, attempts=0, error="")
    transaction.on_commit(lambda: enqueue(document.pk))


def enqueue(document_id: int, *, priority: int = DEFAULT_TASK_PRIORITY) -> None:
    from .tasks import render_document

    render_document.using(priority=priority).enqueue(document_id)


def enqueue_many(document_ids: list[int], *, priority: int = DEFAULT_TASK_PRIORITY) -> None:
    """One rendering task per document. Many tasks for the worker's queue (the demo region's thousand past fiches)
    are written in one transaction: one commit. A single task (a validation), or tasks that the backend runs on the
    spot (the test suite's), are enqueued as they come, outside any transaction: a rendering followed by its
    deliveries must not hold the database meanwhile."""
    from django_tasks.backends.immediate import ImmediateBackend

    from .tasks import render_document

    batch = len(document_ids) > 1 and not isinstance(render_document.get_backend(), ImmediateBackend)
    with transaction.atomic() if batch else nullcontext():
        for document_id in document_ids:
            enqueue(document_id, priority=priority)


def expedite(document: Document) -> int:
    """Someone is waiting for this document (its page polls the renderings): a rendering task queued behind the
    backlog (BACKLOG_PRIORITY) moves to the normal priority, so the worker takes it next instead of after the demo
    region's thousand past fiches. Only the worker's database queue can be reordered. Returns the tasks moved."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    from .tasks import render_document

    if not isinstance(render_document.get_backend(), DatabaseBackend):
        return 0
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=render_document.module_path, priority__lt=DEFAULT_TASK_PRIORITY,
        args_kwargs__args__0=document.pk,
    ).update(priority=DEFAULT_TASK_PRIORITY)


class WaitingForPdf(Exception):
    """The level-1 CDA embeds the stored PDF: it is produced once the PDF rendering is ready."""


def _stored_pdf(document: Document) -> bytes:
    pdf = document.renderings.filter(format=Rendering.Format.PDF, state=Rendering.State.READY).first()
    if pdf is None:
        raise WaitingForPdf("le PDF n'est pas encore produit")
    return store.get(pdf.sha256, pdf.extension)


def _produce(document: Document, fmt: str) -> bytes:
    if document.care_plan_id:
        if fmt == Rendering.Format.PDF:
            from .pdf.careplan import render_careplan_pdf

            return render_careplan_pdf(document.care_plan)
        if document.kind == Document.Kind.PPAC:
            from .cda.minimal import build_care_plan_pdf

            return build_care_plan_pdf(document.care_plan, _stored_pdf(document))
        from .cda.pps import build_pps

        return build_pps(document.care_plan)
    if document.kind == Document.Kind.FRCP:
        if fmt == Rendering.Format.PDF:
            from .pdf.renderer import render_fiche_pdf

            return render_fiche_pdf(document.fiche)
        from .cda.frcp import build_frcp

        return build_frcp(document.fiche)
    raise ValueError(f"no renderer for {document.kind}/{fmt}")


def render(document_id: int) -> dict[str, str]:
    """Produce the pending renderings of a document. Each rendering is stored, then marked ready, in its own
    step: a failure leaves the others usable and is recorded with its reason (retried by a later run)."""
    document = Document.objects.select_related("fiche", "care_plan").get(pk=document_id)
    outcome = {}
    # The PDF first: a level-1 CDA (the PPAC) embeds it.
    pending = sorted(document.renderings.exclude(state=Rendering.State.READY),
                     key=lambda r: r.format != Rendering.Format.PDF)
    for rendering in pending:
        if rendering.attempts >= MAX_ATTEMPTS:
            outcome[rendering.format] = rendering.state
            continue
        try:
            content = _produce(document, rendering.format)
            sha256, _ = store.put(content, rendering.extension)
        except Exception as exc:  # any renderer error: recorded on the rendering, never lost
            logger.exception("rendering %s of document %s failed", rendering.format, document_id)
            Rendering.objects.filter(pk=rendering.pk).update(
                state=Rendering.State.FAILED, attempts=rendering.attempts + 1,
                error=f"{exc.__class__.__name__}: {exc}"[:500])
            outcome[rendering.format] = Rendering.State.FAILED
            continue
        Rendering.objects.filter(pk=rendering.pk).update(
            state=Rendering.State.READY, sha256=sha256, size=len(content), error="", attempts=rendering.attempts + 1,
            rendered_at=timezone.now())
        outcome[rendering.format] = Rendering.State.READY
    hooks.rendered(document_id)
    return outcome
