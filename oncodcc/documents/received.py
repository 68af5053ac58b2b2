"""Documents received from hospitals and labs (HL7 ORU^R01 / MDM, FHIR DocumentReference): one service for all
channels, per the ANS volet "Transmission d'un document CDA-R2 en HL7v2".

- new: the CDA is filed under its patient (recordTarget + the message's identity, same matching rules as PAM.fr);
  the same CDA id received again is acknowledged without a second copy;
- replace: the current version of the same set (CDA setId, or the parent document of a RPLC relation) is
  superseded by the new one: the version chain is kept;
- delete: every version of the set is marked deleted by its sender (kept in the store, hidden from views).

The CDA bytes go to the content-addressed store as received; the PDF of a level-1 CDA is stored beside it."""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.text import has_control_chars
from oncodcc.patients import inbound
from oncodcc.patients.inbound import IdentityError, IncomingIdentity
from oncodcc.patients.models import Patient
from oncodcc.terminology import valuesets

from . import store
from .cda.reader import InvalidCda, ReceivedCda, read_cda
from .models import Document, Rendering

NEW, REPLACE, DELETE = "new", "replace", "delete"
LOINC_PATHOLOGY = "60568-3"
LOINC_MOLECULAR = "51969-4"
# Reports shown beside the fiche in meeting mode (with their conclusion).
REPORTS_BESIDE_FICHE = (LOINC_PATHOLOGY, LOINC_MOLECULAR)


class DocumentRefused(ValueError):
    """The document cannot be filed: French reason, returned to the sender (ACK AE/AR, OperationOutcome)."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.code = code  # "invalid" | "not-found" | "conflict"


@dataclass
class Filed:
    document: Document
    outcome: str  # "created" | "duplicate" | "replaced" | "deleted"
    patient_created: bool = False


def type_label(code: str) -> str:
    return valuesets.display(valuesets.DOCUMENT_TYPE, code)


def set_uuid(external_set_id: str) -> uuid.UUID:
    """Our set id for a received document: derived from the sender's setId, stable across versions."""
    return uuid.uuid5(uuid.NAMESPACE_OID, f"received:{external_set_id}")


def max_bytes() -> int:
    return settings.INBOUND_DOCUMENT_MAX_BYTES


def incoming_from_cda(cda: ReceivedCda, *, organisation, hint: IncomingIdentity | None) -> IncomingIdentity:
    """The message's identity (PID, FHIR subject) completed by the CDA recordTarget; they must not contradict."""
    incoming = hint or IncomingIdentity()
    from oncodcc.patients.inbound import INS_OIDS

    for root, extension in cda.patient.ids:
        if root in INS_OIDS:
            if incoming.ins_matricule and incoming.ins_matricule.replace(" ", "") != extension.replace(" ", ""):
                raise DocumentRefused("L'INS du document CDA diffère de celui du message.")
            incoming.ins_matricule, incoming.ins_oid = extension, root
        elif organisation is not None and root == organisation.oid and not incoming.ipp:
            incoming.ipp = extension
    for name in ("birth_name", "birth_given_names", "first_birth_given_name", "used_name", "used_given_name",
                 "birth_date", "sex", "birthplace_insee"):
        if not getattr(incoming, name) and getattr(cda.patient, name):
            setattr(incoming, name, getattr(cda.patient, name))
    return incoming


def _store_renderings(document: Document, content: bytes, cda: ReceivedCda) -> None:
    sha, _ = store.put(content, "xml")
    renderings = [Rendering(document=document, format=Rendering.Format.CDA, state=Rendering.State.READY, sha256=sha,
                            size=len(content), attempts=0, rendered_at=document.created_at)]
    if cda.pdf:
        pdf_sha, _ = store.put(cda.pdf, "pdf")
        renderings.append(Rendering(document=document, format=Rendering.Format.PDF, state=Rendering.State.READY,
                                    sha256=pdf_sha, size=len(cda.pdf), rendered_at=document.created_at))
    Rendering.objects.bulk_create(renderings)


def _current_of_set(*, sender, external_set_id: str, parent_id: str) -> Document | None:
    qs = Document.objects.select_for_update().filter(kind=Document.Kind.RECEIVED, sender=sender)
    doc = qs.filter(set_id=set_uuid(external_set_id), status=Document.Status.CURRENT).first()
    if doc is None and parent_id:
        doc = qs.filter(external_id=parent_id).exclude(status=Document.Status.DELETED).first()
    return doc


def _resolve(*, actor, organisation, incoming: IncomingIdentity, action: str, channel: str):
    """The document's patient by the inbound matching rules: created only for a new document."""
    try:
        return inbound.resolve(actor=actor, organisation=organisation, incoming=incoming, create=(action == NEW),
                               update=False, channel=channel)
    except Patient.DoesNotExist as exc:
        raise DocumentRefused(f"Patient inconnu : {exc}", code="not-found") from exc
    except IdentityError as exc:
        raise DocumentRefused(str(exc)) from exc


def _already_received(*, sender, external_id: str, patient: Patient) -> Filed | None:
    """The same sender's document id received again: acknowledged without a second copy."""
    duplicate = Document.objects.filter(kind=Document.Kind.RECEIVED, sender=sender, external_id=external_id).first()
    if duplicate is None:
        return None
    if duplicate.patient_id != patient.pk:
        raise DocumentRefused("Ce document (même identifiant) a déjà été reçu pour un autre patient.", code="conflict")
    return Filed(duplicate, "duplicate")


def _supersede(*, sender, external_set_id: str, parent_id: str, patient: Patient) -> Document:
    """A replacement: the current version of the set (or the parent document) becomes superseded."""
    previous = _current_of_set(sender=sender, external_set_id=external_set_id, parent_id=parent_id)
    if previous is None:
        raise DocumentRefused("Document à remplacer inconnu (identifiant de lot ou document parent non reçu).",
                              code="not-found")
    if previous.patient_id != patient.pk:
        raise DocumentRefused("Le document à remplacer appartient à un autre patient.", code="conflict")
    previous.status = Document.Status.SUPERSEDED
    previous.save(update_fields=["status"])
    return previous


@transaction.atomic
def file_cda(*, actor, organisation, content: bytes, action: str, channel: str,
             identity: IncomingIdentity | None = None) -> Filed:
    """File a received CDA (new, replace or delete) in one transaction. Raises DocumentRefused."""
    try:
        cda = read_cda(content, max_bytes=max_bytes())
    except InvalidCda as exc:
        raise DocumentRefused(str(exc)) from exc
    if cda.type_code not in valuesets.get(valuesets.DOCUMENT_TYPE).by_code:
        raise DocumentRefused(f"Type de document inconnu (code LOINC {cda.type_code} absent du JDV_J07).")
    incoming = incoming_from_cda(cda, organisation=organisation, hint=identity)
    resolution = _resolve(actor=actor, organisation=organisation, incoming=incoming, action=action, channel=channel)
    patient = resolution.patient
    if action == DELETE:
        return _delete(actor=actor, sender=organisation, cda=cda, patient=patient, channel=channel)
    duplicate = _already_received(sender=organisation, external_id=cda.id, patient=patient)
    if duplicate is not None:
        return duplicate
    previous = _supersede(sender=organisation, external_set_id=cda.set_id, parent_id=cda.replaces,
                          patient=patient) if action == REPLACE else None
    set_id = previous.set_id if previous is not None else set_uuid(cda.set_id)
    last = Document.objects.filter(set_id=set_id).order_by("-version_number").values_list(
        "version_number", flat=True).first()
    version = max(cda.version, (last or 0) + 1) if last else cda.version
    document = Document.objects.create(
        kind=Document.Kind.RECEIVED, type_code=cda.type_code, title=cda.title or type_label(cda.type_code),
        patient=patient, set_id=set_id, version_number=version, organisation=organisation, sender=organisation,
        channel=channel, external_id=cda.id, external_set_id=cda.set_id, effective_at=cda.effective_at,
        author_label=cda.author_label, conclusion=cda.conclusion, cda_level=cda.level,
    )
    _store_renderings(document, content, cda)
    audit.record(actor=actor, action=Action.DOCUMENT_REPLACE if previous else Action.DOCUMENT_RECEIVE,
                 patient=patient, obj=document,
                 details={"channel": channel, "type": cda.type_code, "version": version,
                          "replaces": previous.pk if previous else None, "patient_match": resolution.how})
    return Filed(document, "replaced" if previous else "created", patient_created=resolution.created)


def _delete(*, actor, sender, cda: ReceivedCda, patient: Patient, channel: str) -> Filed:
    documents = list(Document.objects.select_for_update().filter(
        kind=Document.Kind.RECEIVED, sender=sender, set_id=set_uuid(cda.set_id)))
    if not documents:
        documents = list(Document.objects.select_for_update().filter(
            kind=Document.Kind.RECEIVED, sender=sender, external_id=cda.id))
    if not documents:
        raise DocumentRefused("Document à supprimer inconnu.", code="not-found")
    if any(d.patient_id != patient.pk for d in documents):
        raise DocumentRefused("Le document à supprimer appartient à un autre patient.", code="conflict")
    Document.objects.filter(pk__in=[d.pk for d in documents]).update(status=Document.Status.DELETED)
    latest = max(documents, key=lambda d: d.version_number)
    audit.record(actor=actor, action=Action.DOCUMENT_DELETE, patient=patient, obj=latest,
                 details={"channel": channel, "versions": [d.version_number for d in documents]})
    latest.refresh_from_db()
    return Filed(latest, "deleted")


def reports_for(patient_ids, *, types=REPORTS_BESIDE_FICHE):
    """Current received reports (pathology, molecular) of these patients, newest first, for the record and the
    meeting mode. The caller has checked access."""
    return (Document.objects.filter(patient_id__in=patient_ids, kind=Document.Kind.RECEIVED, type_code__in=types,
                                    status=Document.Status.CURRENT)
            .select_related("sender").prefetch_related("renderings").order_by("-effective_at", "-created_at"))


PDF_MAGIC = b"%PDF-"


@transaction.atomic
def file_pdf(*, actor, organisation, content: bytes, type_code: str, channel: str, external_id: str,
             action: str = NEW, patient: Patient | None = None, identity: IncomingIdentity | None = None,
             external_set_id: str = "", replaces: str = "", title: str = "", effective_at=None,
             author_label: str = "") -> Filed:
    """File a received PDF that comes without a CDA (FHIR DocumentReference with a PDF attachment): same rules as
    `file_cda` — the sender's id received again is a duplicate; a replacement supersedes the current version of
    the set (`external_set_id`, or the parent document `replaces`) and keeps the chain. The patient is given, or
    resolved from `identity` (created only for a new document). Raises DocumentRefused."""
    if action not in (NEW, REPLACE):
        raise DocumentRefused("Action inconnue pour un document PDF.")
    if not content.startswith(PDF_MAGIC):
        raise DocumentRefused("Le contenu n'est pas un document PDF.")
    if len(content) > max_bytes():
        raise DocumentRefused(f"Document trop volumineux (au plus {max_bytes() // (1024 * 1024)} Mo).")
    if type_code not in valuesets.get(valuesets.DOCUMENT_TYPE).by_code:
        raise DocumentRefused(f"Type de document inconnu (code {type_code or '(vide)'} absent du JDV_J07).")
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 200 or has_control_chars(external_id + external_set_id + replaces):
        raise DocumentRefused("Identifiant du document de l'émetteur obligatoire (200 caractères au plus).")
    how = "given"
    if patient is None:
        if identity is None:
            raise DocumentRefused("Patient du document non précisé.")
        resolution = _resolve(actor=actor, organisation=organisation, incoming=identity, action=action,
                              channel=channel)
        patient, how = resolution.patient, resolution.how
    duplicate = _already_received(sender=organisation, external_id=external_id, patient=patient)
    if duplicate is not None:
        return duplicate
    previous = _supersede(sender=organisation, external_set_id=external_set_id, parent_id=replaces,
                          patient=patient) if action == REPLACE else None
    set_key = previous.external_set_id if previous is not None else (external_set_id or external_id)
    set_id = previous.set_id if previous is not None else set_uuid(set_key)
    last = Document.objects.filter(set_id=set_id).order_by("-version_number").values_list(
        "version_number", flat=True).first()
    document = Document.objects.create(
        kind=Document.Kind.RECEIVED, type_code=type_code, title=(title or type_label(type_code))[:300],
        patient=patient, set_id=set_id, version_number=(last or 0) + 1, organisation=organisation,
        sender=organisation, channel=channel, external_id=external_id, external_set_id=set_key[:200],
        effective_at=effective_at, author_label=author_label[:300],
    )
    sha, _ = store.put(content, "pdf")
    Rendering.objects.create(document=document, format=Rendering.Format.PDF, state=Rendering.State.READY,
                             sha256=sha, size=len(content), rendered_at=document.created_at)
    audit.record(actor=actor, action=Action.DOCUMENT_REPLACE if previous else Action.DOCUMENT_RECEIVE,
                 patient=patient, obj=document,
                 details={"channel": channel, "type": type_code, "version": document.version_number,
                          "replaces": previous.pk if previous else None, "patient_match": how, "format": "pdf"})
    return Filed(document, "replaced" if previous else "created")


@transaction.atomic
def withdraw(*, actor, organisation, document: Document, channel: str) -> Filed:
    """The sender deletes a received document it knows by our id (FHIR DELETE): every version of its set is marked
    deleted, as a CDA delete does. Deleting again changes nothing."""
    if document.kind != Document.Kind.RECEIVED or document.sender_id != getattr(organisation, "pk", None):
        raise DocumentRefused("Seul l'émetteur d'un document reçu peut le supprimer.", code="conflict")
    documents = list(Document.objects.select_for_update().filter(
        kind=Document.Kind.RECEIVED, sender=organisation, set_id=document.set_id))
    live = [d for d in documents if d.status != Document.Status.DELETED]
    latest = max(documents, key=lambda d: d.version_number)
    if live:
        Document.objects.filter(pk__in=[d.pk for d in live]).update(status=Document.Status.DELETED)
        audit.record(actor=actor, action=Action.DOCUMENT_DELETE, patient_id=document.patient_id, obj=latest,
                     details={"channel": channel, "versions": sorted(d.version_number for d in live)})
    latest.refresh_from_db()
    return Filed(latest, "deleted")
