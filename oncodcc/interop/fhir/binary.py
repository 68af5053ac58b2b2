"""/fhir/Binary: the bytes of a document's rendering (`Binary/cda-<document>`, `Binary/pdf-<document>`) — read as
a FHIR Binary (base64 `data`) or, when the Accept header asks exactly for its type, as the raw file; every read is a
document view in the audit trail. POST stages a content (CDA or PDF) that a DocumentReference then points at
(`Binary/staged-<n>`, readable by the client that posted it only)."""

import base64

from django.http import HttpRequest, HttpResponse

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.documents import received, store
from oncodcc.documents.models import Document, Rendering
from oncodcc.interop.smart.models import StagedBinary

from . import params
from .body import is_json, read_bytes, read_resource
from .bundles import base_url
from .caller import Caller
from .document_in import CDA_TYPES, PDF_TYPE, media_type
from .document_resource import BINARY_ID, MEDIA, STAGED_ID
from .framework import raw_accept
from .outcomes import FhirError, conflict, fhir_response, gone, instant, invalid, not_found, not_supported
from .patients import hospital_of
from .trail import check_patient, record_read

RESOURCE = "Binary"
# Media types a raw read may ask for, per rendering format.
RAW_TYPES = {Rendering.Format.CDA: CDA_TYPES, Rendering.Format.PDF: {PDF_TYPE}}


def _extension(content_type: str) -> str:
    return "pdf" if content_type == PDF_TYPE else "xml"


def _negotiate(request: HttpRequest, raw_types: set[str]) -> bool:
    """True for the raw bytes, False for FHIR JSON; 406 when the Accept header wants neither."""
    header = request.headers.get("Accept", "").strip()
    if not header or request.GET.get("_format") or params.accepts_json(header):
        return False
    if params.media_ranges(header) & raw_types:
        return True
    raise not_supported("Format demandé (en-tête Accept) non pris en charge : application/fhir+json ou le type du "
                        "contenu (" + ", ".join(sorted(raw_types)) + ").", 406)


def _answer(request: HttpRequest, logical_id: str, content: bytes, content_type: str, *, raw: bool, pretty: bool,
            context: str | None = None, updated=None) -> HttpResponse:
    if raw:
        response = HttpResponse(content, content_type=content_type)
        response["Cache-Control"] = "no-store"
        response["Content-Disposition"] = f'attachment; filename="{logical_id}.{_extension(content_type)}"'
        return response
    resource = {"resourceType": RESOURCE, "id": logical_id, "contentType": content_type,
                "data": base64.b64encode(content).decode("ascii")}
    if updated is not None:
        resource["meta"] = {"lastUpdated": instant(updated)}
    if context:
        resource["securityContext"] = {"reference": context}
    return fhir_response(resource, pretty=pretty)


def _staged(request, logical_id: str, match, caller: Caller, pretty: bool) -> HttpResponse:
    staged = (StagedBinary.objects.filter(pk=int(match["pk"]), client=caller.client).first()
              if caller.is_client else None)
    if staged is None:
        raise not_found(f"Binary/{logical_id} introuvable.")
    raw = _negotiate(request, {staged.content_type})
    content = store.get(staged.sha256, _extension(staged.content_type))
    return _answer(request, logical_id, content, staged.content_type, raw=raw, pretty=pretty,
                   updated=staged.created_at)


@raw_accept
def binary_read(request: HttpRequest, logical_id: str, *, caller: Caller, pretty: bool) -> HttpResponse:
    params.check_id(logical_id)
    params.parse_read(request)
    staged = STAGED_ID.match(logical_id)
    if staged:
        return _staged(request, logical_id, staged, caller, pretty)
    match = BINARY_ID.match(logical_id)
    rendering = (Rendering.objects.select_related("document__patient")
                 .filter(document_id=int(match["pk"]), format=match["format"]).first() if match else None)
    if rendering is None:
        raise not_found(f"Binary/{logical_id} introuvable.")
    document = rendering.document
    check_patient(caller, document.patient, resource=RESOURCE, logical=f"Binary/{logical_id}")
    if document.status == Document.Status.DELETED:
        raise gone(f"Binary/{logical_id} : document supprimé par son émetteur.")
    if rendering.state != Rendering.State.READY:
        raise conflict("Ce document est en cours de génération : réessayez dans quelques secondes.")
    raw = _negotiate(request, RAW_TYPES[rendering.format])
    try:
        content = store.get(rendering.sha256, rendering.extension)
    except (OSError, store.CorruptRendering) as exc:
        raise FhirError(500, "exception", "Fichier du document introuvable ou altéré.") from exc
    record_read(caller, resource=RESOURCE, patient_ids=[document.patient_id], count=1, obj=document,
                action=Action.DOCUMENT_VIEW,
                details={"format": rendering.format, "version": document.version_number, "sha256": rendering.sha256})
    content_type = MEDIA[rendering.format]
    return _answer(request, logical_id, content, content_type, raw=raw, pretty=pretty,
                   context=f"DocumentReference/{document.pk}", updated=rendering.rendered_at)


def binary_create(request: HttpRequest, *, caller: Caller, pretty: bool) -> HttpResponse:
    params.parse_read(request)
    hospital_of(caller, "Dépôt de contenu", need_oid=False)
    limit = received.max_bytes()
    if is_json(request):
        data = read_resource(request, RESOURCE)
        content_type = media_type(data.get("contentType"))
        try:
            content = base64.b64decode("".join((data.get("data") or "").split()), validate=True)
        except ValueError as exc:
            raise invalid("Binary.data : base64 invalide.") from exc
    else:
        content_type = media_type(request.content_type)
        content = read_bytes(request, limit=limit)
    if content_type not in CDA_TYPES | {PDF_TYPE}:
        raise not_supported(f"Type de contenu non pris en charge : « {content_type or '(absent)'} » (CDA : "
                            f"application/hl7-v3+xml ; PDF : application/pdf).", 415)
    if not content:
        raise FhirError(422, "required", "Contenu vide.")
    if len(content) > limit:
        raise FhirError(413, "too-costly", f"Contenu trop volumineux (au plus {limit // (1024 * 1024)} Mo).")
    sha, _ = store.put(content, _extension(content_type))
    staged = StagedBinary.objects.create(client=caller.client, content_type=content_type, sha256=sha,
                                         size=len(content))
    logical_id = f"staged-{staged.pk}"
    # Staged content is no patient's yet: the event names the client; the document filed from it is audited then.
    audit.record(actor=caller.actor, action=Action.FHIR_WRITE, obj=staged,
                 details={"resource": RESOURCE, "interaction": "create", "size": len(content),
                          "content_type": content_type, **caller.audit_details()})
    return fhir_response({"resourceType": RESOURCE, "id": logical_id, "meta": {"lastUpdated": instant(staged.created_at)},
                          "contentType": content_type}, status=201, pretty=pretty,
                         headers={"Location": f"{base_url(request)}Binary/{logical_id}"})
