"""/fhir/DocumentReference: search, read, and DELETE by the sending hospital (every version of the set is marked
deleted: served as entered-in-error). Creation (a document in) is in `document_in`."""

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from oncodcc.documents import received
from oncodcc.documents.models import Document
from oncodcc.patients.models import Patient

from . import params
from .bundles import searchset
from .caller import Caller
from .document_resource import KIND_SYSTEM, LOINC, STATUS, document_reference
from .outcomes import fhir_response, forbidden, not_found
from .params import Condition
from .patients import hospital_of
from .registry import BY_TYPE
from .search import PK, date_filter, patient_ids, pks, token_pairs
from .trail import check_patient, record_read, record_write

RESOURCE = "DocumentReference"


def visible_documents(caller: Caller):
    return Document.objects.filter(patient__in=Patient.objects.filter(caller.patient_scope()).values("pk"))


def full(queryset):
    return queryset.select_related("sender", "organisation", "author__practitioner").prefetch_related("renderings")


def previous_versions(documents: list[Document]) -> dict[int, int]:
    """Document id → id of the version it replaced (same set, the highest lower version number)."""
    sets = {d.set_id for d in documents if d.version_number > 1}
    if not sets:
        return {}
    versions: dict = {}
    for pk, set_id, number in Document.objects.filter(set_id__in=sets).values_list("pk", "set_id", "version_number"):
        versions.setdefault(set_id, []).append((number, pk))
    previous = {}
    for document in documents:
        lower = [(n, pk) for n, pk in versions.get(document.set_id, []) if n < document.version_number]
        if lower:
            previous[document.pk] = max(lower)[1]
    return previous


def type_filter(condition: Condition, field: str = "type_code") -> Q:
    """LOINC codes (http://loinc.org, or no system) and JDV_J07 codes of other systems (urn:oid:…)."""
    codes = [code for system, code in token_pairs(condition) if code and (system in (None, "", LOINC)
                                                                           or (system or "").startswith("urn:oid:"))]
    return Q(**{f"{field}__in": codes})


def patient_filter(request: HttpRequest, conditions: list[Condition]) -> Q:
    q = Q()
    for ids in patient_ids(request, conditions):
        q &= Q(patient_id__in=[pk for pk in ids if pk is not None])
    return q


def status_filter(condition: Condition, mapping: dict) -> Q:
    codes = [code for _, code in token_pairs(condition)]
    q = Q(status__in=[status for status, code in mapping.items() if code in codes])
    return ~q if condition.modifier == "not" else q


def page_of(queryset, search) -> tuple[list[Document], int]:
    ordered = queryset.order_by("-created_at", "-pk")
    total = ordered.count()
    if not search.count or search.offset >= total:
        return [], total
    return list(full(ordered)[search.offset:search.offset + search.count]), total


def document_search(request: HttpRequest, *, caller: Caller, pretty: bool) -> HttpResponse:
    search = params.parse_search(request, BY_TYPE[RESOURCE].supported)
    queryset = visible_documents(caller)
    queryset = queryset.filter(patient_filter(request, [c for c in search.conditions
                                                        if c.name in ("patient", "subject")]))
    for condition in search.conditions:
        if condition.name == "_id":
            queryset = queryset.filter(pk__in=pks(condition))
        elif condition.name == "type":
            queryset = queryset.filter(type_filter(condition))
        elif condition.name == "category":
            queryset = queryset.filter(kind__in=[c for s, c in token_pairs(condition) if s in (None, "", KIND_SYSTEM)])
        elif condition.name == "date":
            queryset = queryset.filter(date_filter("created_at", condition, is_date=False))
        elif condition.name == "status":
            queryset = queryset.filter(status_filter(condition, STATUS))
    documents, total = page_of(queryset, search)
    previous = previous_versions(documents)
    resources = [document_reference(d, previous_id=previous.get(d.pk)) for d in documents]
    record_read(caller, resource=RESOURCE, patient_ids=[d.patient_id for d in documents], count=len(resources))
    return fhir_response(searchset(request, RESOURCE, search, resources, total), pretty=pretty)


def visible_document(caller: Caller, logical_id: str, *, resource: str = RESOURCE, queryset=None) -> Document:
    params.check_id(logical_id)
    pk = int(logical_id) if PK.match(logical_id) else None
    document = full(queryset if queryset is not None else Document.objects).filter(pk=pk).first() if pk else None
    if document is None:
        raise not_found(f"{resource}/{logical_id} introuvable.")
    check_patient(caller, document.patient, resource=resource, logical=f"{resource}/{logical_id}")
    return document


def document_read(request: HttpRequest, logical_id: str, *, caller: Caller, pretty: bool) -> HttpResponse:
    params.parse_read(request)
    document = visible_document(caller, logical_id)
    resource = document_reference(document, previous_id=previous_versions([document]).get(document.pk))
    record_read(caller, resource=RESOURCE, patient_ids=[document.patient_id], count=1, obj=document)
    return fhir_response(resource, pretty=pretty)


def document_delete(request: HttpRequest, logical_id: str, *, caller: Caller, pretty: bool) -> HttpResponse:
    params.parse_read(request)
    organisation = hospital_of(caller, "Suppression de document", need_oid=False)
    document = visible_document(caller, logical_id)
    if not document.is_received or document.sender_id != organisation.pk:
        raise forbidden("Seul l'établissement émetteur d'un document reçu peut le supprimer.")
    with transaction.atomic():
        filed = received.withdraw(actor=caller.actor, organisation=organisation, document=document, channel="fhir")
        record_write(caller, resource=RESOURCE, interaction="delete", patient_id=document.patient_id,
                     obj=filed.document, details={"outcome": filed.outcome})
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response
