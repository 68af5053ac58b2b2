"""An OutgoingDocument (the channels' input, no ORM object inside) built from a stored document: the CDA and the
PDF as stored by the worker (checked against their SHA-256), the patient's INS, the id of the version replaced."""

from lxml import etree

from oncodcc.documents import store
from oncodcc.documents.models import Document, Rendering
from oncodcc.patients.models import IdentityStatus

from .channels import OutgoingDocument

NS = {"h": "urn:hl7-org:v3"}


class NotReady(Exception):
    """The CDA of the document is not rendered (yet): the delivery waits."""


def _content(document: Document, fmt: str) -> bytes | None:
    rendering = next((r for r in document.renderings.all() if r.format == fmt), None)
    if rendering is None or rendering.state != Rendering.State.READY:
        return None
    return store.get(rendering.sha256, rendering.extension)


def cda_id(content: bytes) -> str:
    """ClinicalDocument/id as root (or root^extension)."""
    root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
    node = root.find("h:id", NS)
    if node is None:
        return ""
    extension = node.get("extension") or ""
    return f"{node.get('root', '')}^{extension}" if extension else node.get("root", "")


def _replaced_id(document: Document) -> str:
    previous = (Document.objects.filter(set_id=document.set_id, version_number__lt=document.version_number)
                .prefetch_related("renderings").order_by("-version_number").first())
    if previous is None:
        return ""
    content = _content(previous, Rendering.Format.CDA)
    return cda_id(content) if content else ""


def build(document: Document, action: str) -> OutgoingDocument:
    cda = _content(document, Rendering.Format.CDA)
    if cda is None:
        raise NotReady(document.pk)
    patient = document.patient
    return OutgoingDocument(
        document_id=document.pk, set_id=str(document.set_id), version_number=document.version_number,
        kind=document.kind, type_code=document.type_code, title=document.title, action=action, cda=cda,
        pdf=_content(document, Rendering.Format.PDF), patient_ins=patient.ins_matricule,
        patient_ins_oid=patient.ins_oid,
        patient_ins_qualified=patient.identity_status == IdentityStatus.QUALIFIED and bool(patient.ins_matricule),
        replaced_document_id=_replaced_id(document) if action == "replace" else "",
    )
