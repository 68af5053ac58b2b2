"""Questionnaire (the published organ forms: not patient data) and QuestionnaireResponse (the organ answers of a
patient's fiches: the caller's patient rules apply, every read is audited)."""

from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from oncodcc.core.text import fold
from oncodcc.patients.models import Patient
from oncodcc.questionnaires.models import FicheAnswers, Questionnaire

from . import params
from .bundles import base_url, searchset
from .caller import Caller
from .outcomes import fhir_response, invalid, not_found, not_supported
from .params import Condition
from .registry import BY_TYPE
from .resources import (
    RESPONSE_STATUS,
    parse_questionnaire_id,
    parse_response_id,
    questionnaire_resource,
    response_resource,
)
from .search import any_of, patient_reference, string_matches, token_codes
from .trail import check_patient, record_read

PUBLICATION_STATUS = "http://hl7.org/fhir/publication-status"
RESPONSE_STATUS_SYSTEM = "http://hl7.org/fhir/questionnaire-answers-status"
RESPONSE = "QuestionnaireResponse"


# --- Questionnaire ---

def _canonical_filter(value: str, prefix: str = "") -> Q:
    """`url` or `url|version`."""
    url, _, version = value.partition("|")
    q = Q(**{f"{prefix}url": url})
    return q & Q(**{f"{prefix}version": version}) if version else q


def _logical_id_filter(value: str, prefix: str = "") -> Q:
    key = parse_questionnaire_id(value)
    return Q(**{f"{prefix}url": key[0], f"{prefix}version": key[1]}) if key else Q(pk__in=[])


def _questionnaire_filter(condition: Condition) -> Q:
    if condition.name == "_id":
        return any_of([_logical_id_filter(value) for value in condition.values])
    if condition.name == "url":
        return any_of([_canonical_filter(value) for value in condition.values])
    if condition.name == "version":
        return Q(version__in=token_codes(condition, ""))
    q = Q(status__in=token_codes(condition, PUBLICATION_STATUS))
    return ~q if condition.modifier == "not" else q


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def questionnaire_search(request: HttpRequest, *, caller: Caller, pretty: bool) -> HttpResponse:
    search = params.parse_search(request, BY_TYPE["Questionnaire"].supported)
    queryset = Questionnaire.objects.only("pk", "url", "version", "name", "title", "status", "published_at")
    strings = []
    for condition in search.conditions:
        if condition.name in ("name", "title"):
            strings.append(condition)
        else:
            queryset = queryset.filter(_questionnaire_filter(condition))
    matches = [q for q in queryset if all(string_matches(getattr(q, c.name), c) for c in strings)]
    # By title, then the newest version first.
    matches.sort(key=lambda q: (fold(q.title), q.url, tuple(-n for n in _version_key(q.version))))
    page = matches[search.offset:search.offset + search.count]
    full = Questionnaire.objects.in_bulk([q.pk for q in page])
    resources = [questionnaire_resource(full[q.pk]) for q in page]
    return fhir_response(searchset(request, "Questionnaire", search, resources, len(matches)), pretty=pretty)


def questionnaire_read(request: HttpRequest, logical_id: str, *, caller: Caller, pretty: bool) -> HttpResponse:
    params.check_id(logical_id)
    params.parse_read(request)
    key = parse_questionnaire_id(logical_id)
    questionnaire = Questionnaire.objects.filter(url=key[0], version=key[1]).first() if key else None
    if questionnaire is None:
        raise not_found(f"Questionnaire/{logical_id} introuvable.")
    return fhir_response(questionnaire_resource(questionnaire), pretty=pretty)


# --- QuestionnaireResponse ---

def _response_filter(request: HttpRequest, condition: Condition) -> Q:
    if condition.name == "_id":
        return Q(fiche_id__in=[pk for pk in map(parse_response_id, condition.values) if pk is not None])
    if condition.name == "questionnaire":
        filters = []
        base = base_url(request)
        for value in condition.values:
            reference = value.removeprefix(base)
            if reference.startswith("Questionnaire/"):
                filters.append(_logical_id_filter(reference.removeprefix("Questionnaire/"), "questionnaire__"))
            else:
                filters.append(_canonical_filter(value, "questionnaire__"))
        return any_of(filters)
    statuses = [status for code in token_codes(condition, RESPONSE_STATUS_SYSTEM)
                for status, fhir_code in RESPONSE_STATUS.items() if fhir_code == code]
    q = Q(fiche__status__in=statuses)
    return ~q if condition.modifier == "not" else q


def _records():
    return FicheAnswers.objects.select_related("fiche", "questionnaire").defer("questionnaire__definition")


def response_search(request: HttpRequest, *, caller: Caller, pretty: bool) -> HttpResponse:
    search = params.parse_search(request, BY_TYPE[RESPONSE].supported)
    patients = {
        patient_reference(request, condition, value)
        for condition in search.conditions if condition.name in ("subject", "patient")
        for value in condition.values
    }
    if not patients:
        raise invalid("Précisez le patient : subject=Patient/<id> (la recherche sur tous les patients n'est pas "
                      "permise).")
    if len(patients) > 1:
        raise not_supported("Un seul patient par recherche.")
    pk = patients.pop()
    patient = Patient.objects.filter(pk=pk).first() if pk is not None else None
    if patient is not None and caller.is_client and not Patient.objects.filter(
            pk=patient.pk).filter(caller.patient_scope()).exists():
        patient = None  # outside a client's scope, the patient does not exist: an empty result
    if patient is None:
        return fhir_response(searchset(request, RESPONSE, search, [], 0), pretty=pretty)
    check_patient(caller, patient, resource=RESPONSE, logical=f"Patient/{patient.pk}")
    queryset = FicheAnswers.objects.filter(fiche__patient=patient)
    for condition in search.conditions:
        if condition.name not in ("subject", "patient"):
            queryset = queryset.filter(_response_filter(request, condition))
    total = queryset.count()
    records = []
    if search.count and search.offset < total:
        records = list(_records().filter(pk__in=queryset.values("pk"))
                       .order_by("-fiche__created_at", "-fiche_id")[search.offset:search.offset + search.count])
    resources = [response_resource(record) for record in records]
    if total:
        record_read(caller, resource=RESPONSE, patient_ids=[patient.pk], count=len(resources))
    return fhir_response(searchset(request, RESPONSE, search, resources, total), pretty=pretty)


def response_read(request: HttpRequest, logical_id: str, *, caller: Caller, pretty: bool) -> HttpResponse:
    params.check_id(logical_id)
    params.parse_read(request)
    pk = parse_response_id(logical_id)
    record = _records().select_related("fiche__patient").filter(fiche_id=pk).first() if pk else None
    if record is None:
        raise not_found(f"QuestionnaireResponse/{logical_id} introuvable.")
    patient = record.fiche.patient
    check_patient(caller, patient, resource=RESPONSE, logical=f"QuestionnaireResponse/{logical_id}")
    resource = response_resource(record)
    record_read(caller, resource=RESPONSE, patient_ids=[patient.pk], count=1, obj=record.fiche)
    return fhir_response(resource, pretty=pretty)
