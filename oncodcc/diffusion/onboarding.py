"""`dcc documents send`: queue deliveries of documents that already exist, through the same outbox and rules —
a hospital's past documents when its receiver is connected (`--to FINESS --since DATE`), one document again
(`--document ID`)."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from oncodcc.directory.models import Organisation
from oncodcc.documents.models import Document
from oncodcc.patients.models import PatientIdentifier

from . import outbox
from .models import Receiver


class SendError(ValueError):
    pass


@dataclass
class Sent:
    documents: int = 0
    created: int = 0
    requeued: int = 0


def _documents(document_id, organisation, since):
    documents = Document.objects.exclude(kind=Document.Kind.RECEIVED)
    if document_id is not None:
        documents = documents.filter(pk=document_id)
    else:
        documents = documents.exclude(status=Document.Status.SUPERSEDED)
    if since is not None:
        documents = documents.filter(created_at__gte=since)
    if organisation is not None and document_id is None:
        known = PatientIdentifier.objects.filter(Q(organisation=organisation) | Q(system=organisation.oid))
        documents = documents.filter(
            Q(patient_id__in=known.values("patient_id"))
            | Q(fiche__registration__requesting_doctor__organisations=organisation)
            | Q(fiche__registration__presenting_doctor__organisations=organisation)).distinct()
    return documents.select_related("patient").order_by("created_at", "pk")


def send_existing(*, document_id: int | None = None, finess: str | None = None, since=None) -> Sent:
    if document_id is None and since is None and not finess:
        raise SendError("Précisez --document, ou --since (et éventuellement --to).")
    organisation = None
    if finess:
        organisation = Organisation.objects.filter(finess=finess).first()
        if organisation is None:
            raise SendError(f"Aucun établissement de FINESS {finess} dans l'annuaire.")
        if not Receiver.objects.filter(organisation=organisation, active=True).exists():
            raise SendError(f"{organisation} n'a pas de récepteur DPI actif (dcc hl7 register-receiver).")
    if document_id is not None and not Document.objects.filter(pk=document_id).exists():
        raise SendError(f"Document n° {document_id} introuvable.")
    result = Sent()
    for document in _documents(document_id, organisation, since).iterator(chunk_size=200):
        created, requeued = outbox.queue_existing(document, organisation=organisation)
        result.documents += 1
        result.created += len(created)
        result.requeued += len(requeued)
    if result.created or result.requeued:
        from .tasks import enqueue_send

        transaction.on_commit(enqueue_send)
    return result
