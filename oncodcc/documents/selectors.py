"""Reads of the document store: the rights check and the audit event of a download."""

from django.db.models import Prefetch, QuerySet

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.patients.policy import VIEW_RECORD, require

from .models import Document, Rendering


def with_renderings(queryset: QuerySet[Document]) -> QuerySet[Document]:
    return queryset.prefetch_related(Prefetch("renderings", queryset=Rendering.objects.order_by("format")))


def patient_documents(patient) -> list[Document]:
    """For the patient record (already authorised and audited by its selector)."""
    return list(with_renderings(Document.objects.filter(patient=patient)).order_by("-created_at"))


def fiche_document(fiche) -> Document | None:
    return with_renderings(Document.objects.filter(fiche=fiche)).first()


def care_plan_document(plan) -> Document | None:
    return with_renderings(Document.objects.filter(care_plan=plan)).first()


def rendering_for_download(*, user, document_id: int, fmt: str) -> Rendering:
    """The ready rendering, if the user may see the patient. Raises Rendering.DoesNotExist or AccessDenied."""
    rendering = (
        Rendering.objects.select_related("document__patient")
        .filter(document_id=document_id, format=fmt).first()
    )
    if rendering is None or rendering.document.status == Document.Status.DELETED:
        # A document withdrawn by its sender is kept as evidence but no longer handed out.
        raise Rendering.DoesNotExist
    patient = rendering.document.patient
    require(user, VIEW_RECORD, patient, purpose=Action.DOCUMENT_DOWNLOAD, obj=rendering.document)
    if rendering.state == Rendering.State.READY:
        audit.record(actor=user, action=Action.DOCUMENT_DOWNLOAD, patient=patient, obj=rendering.document,
                     details={"format": fmt, "version": rendering.document.version_number, "sha256": rendering.sha256})
    return rendering
