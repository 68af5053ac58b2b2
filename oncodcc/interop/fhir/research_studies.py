"""/fhir/ResearchStudy: the regional trials registry (not patient data: no audit event; a client still needs the
scope). Mapping in oncodcc/trials/research_study.py; search by status, condition (organ or CIM-10 prefix), site."""

from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from oncodcc.trials.models import Trial
from oncodcc.trials.research_study import STATUS, SYSTEM_CIM10, research_study

from . import params
from .caller import Caller
from .directory import _page, _pk
from .outcomes import fhir_response, not_found
from .registry import BY_TYPE
from .search import PK, pks, token_pairs

STATUS_SYSTEM = "http://hl7.org/fhir/research-study-status"
ORGAN_SYSTEMS = {"urn:oid:2.16.840.1.113883.6.96", "urn:oid:1.2.250.1.213.1.1.4.322",
                 "urn:oid:2.16.840.1.113883.3.26.1.1", "urn:oid:2.16.840.1.113883.6.3", "http://snomed.info/sct"}


def _status_filter(condition) -> Q:
    statuses = [status for system, code in token_pairs(condition) if system in (None, "", STATUS_SYSTEM)
                for status, fhir_code in STATUS.items() if fhir_code == code]
    q = Q(status__in=statuses)
    return ~q if condition.modifier == "not" else q


def _condition_matches(trial: Trial, condition) -> bool:
    for system, code in token_pairs(condition):
        if system in (None, "", SYSTEM_CIM10) and code in trial.topographies:
            return True
        if (system in (None, "") or system in ORGAN_SYSTEMS) and code in trial.organs:
            return True
    return False


def _site_filter(condition) -> Q:
    ids = [int(value.removeprefix("Organization/")) for value in condition.values
           if PK.match(value.removeprefix("Organization/"))]
    return Q(sites__organisation_id__in=ids)


def study_search(request: HttpRequest, *, caller: Caller, pretty: bool) -> HttpResponse:
    search = params.parse_search(request, BY_TYPE["ResearchStudy"].supported)
    queryset = Trial.objects.prefetch_related("sites__organisation")
    in_python = []
    for condition in search.conditions:
        if condition.name == "_id":
            queryset = queryset.filter(pk__in=pks(condition))
        elif condition.name == "status":
            queryset = queryset.filter(_status_filter(condition))
        elif condition.name == "site":
            queryset = queryset.filter(_site_filter(condition))
        else:
            in_python.append(condition)  # condition: JSON lists, a few hundred trials
    rows = [t for t in queryset.distinct().order_by("acronym", "title", "pk")
            if all(_condition_matches(t, c) for c in in_python)]
    return _page(request, "ResearchStudy", search, rows, research_study, pretty)


def study_read(request: HttpRequest, logical_id: str, *, caller: Caller, pretty: bool) -> HttpResponse:
    params.parse_read(request)
    trial = Trial.objects.prefetch_related("sites__organisation").filter(pk=_pk(logical_id, "ResearchStudy")).first()
    if trial is None:
        raise not_found(f"ResearchStudy/{logical_id} introuvable.")
    return fhir_response(research_study(trial), pretty=pretty)
