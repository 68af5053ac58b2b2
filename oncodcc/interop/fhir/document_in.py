"""POST /fhir/DocumentReference: a document in, from a hospital's client, through the same service as HL7
(`documents.received`). The content is a CDA R2 (level 1 or 3: patient from its recordTarget, type from its code)
or a PDF (patient from `subject`, type from `type`), given in `attachment.data` or staged first as a Binary
(`attachment.url` = Binary/staged-<n>). `relatesTo` replaces = a new version of one of the hospital's documents.

Answers: 201 + Location (created, or a new version), 200 with the existing document when the same document id was
already received; 422 for a document that cannot be filed, 409 when it contradicts what is known."""

import base64
import binascii
import uuid
from datetime import datetime

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from oncodcc.documents import received, store
from oncodcc.documents.models import Document
from oncodcc.interop.smart.models import StagedBinary
from oncodcc.patients.inbound import IdentityMismatch, IncomingIdentity, record_incident

from . import params
from .body import read_resource
from .bundles import base_url
from .caller import Caller
from .document_resource import LOINC, STAGED_ID, document_reference
from .documents import full, previous_versions
from .outcomes import FhirError, conflict, fhir_response, invalid, unprocessable
from .patient_resource import identity_parts
from .patients import hospital_of
from .search import PATIENT_REFERENCE, PK
from .trail import record_write, visible_patient

RESOURCE = "DocumentReference"
CDA_TYPES = {"application/hl7-v3+xml", "application/hl7-cda+xml", "text/xml", "application/xml"}
PDF_TYPE = "application/pdf"


def media_type(value: str) -> str:
    return (value or "").split(";")[0].strip().lower()


def _refused(exc: received.DocumentRefused) -> FhirError:
    """Once the transaction has rolled back: an identity incident behind the refusal is recorded for identity
    vigilance (`patients.inbound`); an INS known with other traits is a conflict."""
    if exc.code == "conflict" or isinstance(record_incident(exc), IdentityMismatch):
        return conflict(str(exc))
    return unprocessable(str(exc), code="not-found" if exc.code == "not-found" else "processing")


def staged_binary(request: HttpRequest, caller: Caller, url: str) -> StagedBinary:
    reference = url.removeprefix(base_url(request))
    match = STAGED_ID.match(reference.removeprefix("Binary/")) if reference.startswith("Binary/") else None
    staged = StagedBinary.objects.filter(pk=int(match["pk"]), client=caller.client).first() if match else None
    if staged is None:
        raise unprocessable(f"attachment.url : contenu inconnu « {url[:100]} » (attendu : Binary/staged-<n> déposé "
                            f"par ce client).", code="not-found")
    return staged


def _content(request: HttpRequest, caller: Caller, attachment: dict) -> tuple[str, bytes, StagedBinary | None]:
    limit = received.max_bytes()
    staged = None
    if attachment.get("data"):
        try:
            # base64Binary may be wrapped (whitespace allowed by FHIR): only the alphabet is checked.
            content = base64.b64decode("".join(attachment["data"].split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise invalid("attachment.data : base64 invalide.") from exc
        kind = media_type(attachment.get("contentType"))
    elif attachment.get("url"):
        staged = staged_binary(request, caller, attachment["url"])
        try:
            content = store.get(staged.sha256, "pdf" if staged.content_type == PDF_TYPE else "xml")
        except (OSError, store.CorruptRendering) as exc:
            raise unprocessable("Contenu déposé illisible : déposez-le à nouveau.") from exc
        kind = media_type(attachment.get("contentType") or staged.content_type)
    else:
        raise unprocessable("content.attachment : data (base64) ou url (Binary/<id>) obligatoire.", code="required")
    if not content:
        raise unprocessable("Contenu vide.")
    if len(content) > limit:
        raise FhirError(413, "too-costly", f"Document trop volumineux (au plus {limit // (1024 * 1024)} Mo).")
    if kind not in CDA_TYPES | {PDF_TYPE}:
        raise FhirError(415, "not-supported", f"Type de contenu non pris en charge : « {kind or '(absent)'} » "
                                              f"(CDA : application/hl7-v3+xml ; PDF : application/pdf).")
    return kind, content, staged


def _replaced(caller: Caller, data: dict, organisation) -> Document | None:
    relations = data.get("relatesTo") or []
    if any(r.get("code") != "replaces" for r in relations):
        raise unprocessable("relatesTo : seul « replaces » est pris en charge.", code="not-supported")
    if len(relations) > 1:
        raise unprocessable("relatesTo : un seul document remplacé à la fois.")
    if not relations:
        return None
    reference = (relations[0].get("target") or {}).get("reference") or ""
    pk = reference.removeprefix("DocumentReference/")
    target = (Document.objects.filter(pk=int(pk)).first()
              if reference.startswith("DocumentReference/") and PK.match(pk) else None)
    if target is None or not target.patient_id or not visible_patient_ok(caller, target.patient_id):
        raise unprocessable(f"relatesTo : document remplacé inconnu « {reference[:100]} ».", code="not-found")
    if not target.is_received or target.sender_id != organisation.pk:
        raise conflict("Seul l'établissement émetteur d'un document peut le remplacer.")
    if target.status != Document.Status.CURRENT:
        raise conflict("Le document désigné par relatesTo n'est plus la version en vigueur.")
    return target


def visible_patient_ok(caller: Caller, patient_id: int) -> bool:
    try:
        visible_patient(caller, patient_id, resource=RESOURCE, logical=f"Patient/{patient_id}")
    except FhirError:
        return False
    return True


def _subject(caller: Caller, data: dict, organisation) -> tuple[int | None, IncomingIdentity | None]:
    """(our patient id named by subject.reference, or the identity of subject.identifier)."""
    subject = data.get("subject") or {}
    reference, identifier = subject.get("reference"), subject.get("identifier")
    if reference:
        match = PATIENT_REFERENCE.match(reference)
        if not reference.startswith("Patient/") or match is None or not PK.match(match["id"]) or \
                not visible_patient_ok(caller, int(match["id"])):
            raise unprocessable(f"subject : patient inconnu « {reference[:100]} ».", code="not-found")
        return int(match["id"]), None
    if identifier:
        ipp, matricule, oid = identity_parts({"identifier": [identifier]}, organisation)
        if not ipp and not matricule:
            own = f"urn:oid:{organisation.oid}" if organisation.oid else "aucun OID d'IPP pour votre établissement"
            raise unprocessable(f"subject.identifier : IPP ({own}) ou INS attendu.")
        return None, IncomingIdentity(ipp=ipp, ins_matricule=matricule, ins_oid=oid)
    return None, None


def _type_code(data: dict) -> str:
    codings = (data.get("type") or {}).get("coding") or []
    coding = next((c for c in codings if c.get("system") in (LOINC, None) or
                   (c.get("system") or "").startswith("urn:oid:")), None)
    return (coding or {}).get("code") or ""


def _date(data: dict) -> datetime | None:
    raw = ((data.get("context") or {}).get("period") or {}).get("start") or data.get("date")
    if not raw or "T" not in raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def _file(caller: Caller, organisation, data: dict, kind: str, content: bytes, target: Document | None):
    patient_id, identity = _subject(caller, data, organisation)
    type_code = _type_code(data)
    action = received.REPLACE if target else received.NEW
    if kind in CDA_TYPES:
        filed = received.file_cda(actor=caller.actor, organisation=organisation, content=content, action=action,
                                  channel="fhir", identity=identity)
        document = filed.document
        if patient_id is not None and document.patient_id != patient_id:
            raise conflict("Le patient du document CDA (recordTarget) n'est pas celui de subject.")
        if type_code and type_code != document.type_code:
            raise conflict(f"Le type du DocumentReference ({type_code}) diffère du code du CDA "
                           f"({document.type_code}).")
        if target is not None and document.set_id != target.set_id:
            raise conflict("relatesTo ne désigne pas la version précédente de ce document (setId du CDA).")
        return filed
    if not type_code:
        raise unprocessable("type : code LOINC du document obligatoire pour un PDF (http://loinc.org).",
                            code="required")
    if patient_id is None and identity is None:
        raise unprocessable("subject : patient obligatoire pour un PDF (Patient/<id> ou identifier).",
                            code="required")
    master = (data.get("masterIdentifier") or {}).get("value") or f"urn:uuid:{uuid.uuid4()}"
    author = next((a.get("display") for a in data.get("author") or [] if a.get("display")), "")
    patient = visible_patient(caller, patient_id, resource=RESOURCE, logical=f"Patient/{patient_id}") \
        if patient_id else None
    return received.file_pdf(
        actor=caller.actor, organisation=organisation, content=content, type_code=type_code, channel="fhir",
        external_id=master, action=action, patient=patient, identity=identity,
        external_set_id=target.external_set_id if target else "", replaces=target.external_id if target else "",
        title=data.get("description") or "", effective_at=_date(data), author_label=author)


def document_create(request: HttpRequest, *, caller: Caller, pretty: bool) -> HttpResponse:
    params.parse_read(request)
    organisation = hospital_of(caller, "Dépôt de document", need_oid=False)
    data = read_resource(request, RESOURCE)
    if data.get("status") != "current":
        raise unprocessable("status : « current » attendu pour un document déposé.")
    contents = data.get("content") or []
    if len(contents) != 1:
        raise unprocessable("Un seul contenu (content) par DocumentReference déposé.")
    kind, content, staged = _content(request, caller, contents[0].get("attachment") or {})
    target = _replaced(caller, data, organisation)
    try:
        with transaction.atomic():
            filed = _file(caller, organisation, data, kind, content, target)
            if staged is not None:
                staged.document_id = filed.document.pk
                staged.save(update_fields=["document_id"])
            record_write(caller, resource=RESOURCE, interaction="create", patient_id=filed.document.patient_id,
                         obj=filed.document, details={"outcome": filed.outcome})
    except received.DocumentRefused as exc:
        raise _refused(exc) from exc
    document = full(Document.objects.filter(pk=filed.document.pk)).get()
    resource = document_reference(document, previous_id=previous_versions([document]).get(document.pk))
    created = filed.outcome in ("created", "replaced")
    headers = {"Location": f"{base_url(request)}{RESOURCE}/{document.pk}"} if created else None
    return fhir_response(resource, status=201 if created else 200, pretty=pretty, headers=headers)
