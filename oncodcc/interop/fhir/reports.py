"""/fhir/DiagnosticReport: the received reports (pathology, molecular genetics, biology, imaging) with their
conclusion and their document (presentedForm → Binary). Read and search; same patient rules and audit as the
documents."""

from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from oncodcc.documents.models import Document

from . import params
from .bundles import searchset
from .caller import Caller
from .document_resource import REPORT_CATEGORY_SYSTEM, REPORT_STATUS, REPORT_TYPES, diagnostic_report
from .documents import (
    page_of,
    patient_filter,
    status_filter,
    type_filter,
    visible_document,
    visible_documents,
)
from .outcomes import fhir_response
from .registry import BY_TYPE
from .search import date_filter, pks, token_codes
from .trail import record_read

RESOURCE = "DiagnosticReport"


def reports(queryset):
    return queryset.filter(kind=Document.Kind.RECEIVED, type_code__in=list(REPORT_TYPES))


def _category_filter(condition) -> Q:
    codes = token_codes(condition, REPORT_CATEGORY_SYSTEM)
    return Q(type_code__in=[t for t, (category, _) in REPORT_TYPES.items() if category in codes])


def report_search(request: HttpRequest, *, caller: Caller, pretty: bool) -> HttpResponse:
    search = params.parse_search(request, BY_TYPE[RESOURCE].supported)
    queryset = reports(visible_documents(caller))
    queryset = queryset.filter(patient_filter(request, [c for c in search.conditions
                                                        if c.name in ("patient", "subject")]))
    for condition in search.conditions:
        if condition.name == "_id":
            queryset = queryset.filter(pk__in=pks(condition))
        elif condition.name == "code":
            queryset = queryset.filter(type_filter(condition))
        elif condition.name == "category":
            queryset = queryset.filter(_category_filter(condition))
        elif condition.name == "date":
            queryset = queryset.filter(date_filter("effective_at", condition, is_date=False))
        elif condition.name == "status":
            queryset = queryset.filter(status_filter(condition, REPORT_STATUS))
    documents, total = page_of(queryset, search)
    resources = [diagnostic_report(d) for d in documents]
    record_read(caller, resource=RESOURCE, patient_ids=[d.patient_id for d in documents], count=len(resources))
    return fhir_response(searchset(request, RESOURCE, search, resources, total), pretty=pretty)


def report_read(request: HttpRequest, logical_id: str, *, caller: Caller, pretty: bool) -> HttpResponse:
    params.parse_read(request)
    document = visible_document(caller, logical_id, resource=RESOURCE, queryset=reports(Document.objects))
    record_read(caller, resource=RESOURCE, patient_ids=[document.patient_id], count=1, obj=document)
    return fhir_response(diagnostic_report(document), pretty=pretty)
