"""The documents shown on a patient's record: the ones OncoDCC produced (fiches RCP, PPS, PPAC) and the ones it
received from hospitals and labs (HL7 ORU/MDM, FHIR), grouped by document set.

A constant number of queries whatever the number of documents: the documents with their sender, their renderings
(one prefetch), and — only when the sender deleted some — the audit events that date those deletions.
The caller has already checked and audited the access to the patient (selectors.get_patient)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.documents.models import Document, Rendering
from oncodcc.documents.received import REPORTS_BESIDE_FICHE
from oncodcc.patients.models import Patient


@dataclass
class ReceivedEntry:
    """The current version of a received document and its superseded versions ("versions précédentes")."""

    document: Document
    previous: list[Document] = field(default_factory=list)  # newest first

    @property
    def is_key_report(self) -> bool:
        """Pathology and molecular reports: their conclusion is shown in full (and beside the fiche)."""
        return self.document.type_code in REPORTS_BESIDE_FICHE


@dataclass(frozen=True)
class DeletedEntry:
    """A document its sender deleted: one line, without its content (no conclusion, no download)."""

    type_label: str
    sender: str
    effective_at: datetime | None
    deleted_at: datetime | None


@dataclass
class RecordDocuments:
    generated: list[Document] = field(default_factory=list)
    received: list[ReceivedEntry] = field(default_factory=list)
    deleted: list[DeletedEntry] = field(default_factory=list)

    @property
    def key_reports(self) -> list[Document]:
        """Current pathology and molecular reports (for the timeline)."""
        return [entry.document for entry in self.received if entry.is_key_report]


def _newest_first(document: Document) -> tuple:
    # Documents without a clinical date sort by their arrival.
    return (document.effective_at or document.created_at, document.created_at, document.pk)


def record_documents(patient: Patient) -> RecordDocuments:
    documents = list(
        Document.objects.filter(patient_id=patient.pk)
        .select_related("sender")
        .prefetch_related(Prefetch("renderings", queryset=Rendering.objects.order_by("format")))
        .order_by("-created_at", "-pk")
    )
    result = RecordDocuments(generated=[d for d in documents if not d.is_received])
    sets: dict[object, list[Document]] = {}
    for document in documents:
        if document.is_received:
            sets.setdefault(document.set_id, []).append(document)
    deleted_sets = []
    for versions in sets.values():
        versions.sort(key=lambda d: d.version_number, reverse=True)
        current = next((d for d in versions if d.status == Document.Status.CURRENT), None)
        if current is not None:
            result.received.append(ReceivedEntry(current, [d for d in versions if d is not current
                                                           and d.status == Document.Status.SUPERSEDED]))
        elif all(d.status == Document.Status.DELETED for d in versions):
            deleted_sets.append(versions)
        else:  # superseded versions without a current one (should not happen): still reachable
            result.received.append(ReceivedEntry(versions[0], versions[1:]))
    result.received.sort(key=lambda e: _newest_first(e.document), reverse=True)
    if deleted_sets:
        result.deleted = _deleted_entries(deleted_sets)
    return result


def _deleted_entries(deleted_sets: list[list[Document]]) -> list[DeletedEntry]:
    """The deletion date is not a column of the document: the DOCUMENT_DELETE audit event carries it."""
    ids = [str(d.pk) for versions in deleted_sets for d in versions]
    deleted_at = dict(
        AuditEvent.objects.filter(action=Action.DOCUMENT_DELETE, object_type="documents.document",
                                  object_id__in=ids)
        .order_by("occurred_at").values_list("object_id", "occurred_at")
    )
    entries = []
    for versions in deleted_sets:
        latest = versions[0]
        when = max((deleted_at[str(d.pk)] for d in versions if str(d.pk) in deleted_at), default=None)
        entries.append(DeletedEntry(latest.type_label, str(latest.sender or ""), latest.effective_at, when))
    entries.sort(key=lambda e: (e.deleted_at is not None, e.deleted_at), reverse=True)
    return entries
