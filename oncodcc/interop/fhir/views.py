"""The FHIR endpoints (GET only). They are exempt from the site's login redirect and answer 401 themselves;
every error is an OperationOutcome. Questionnaires are not patient data: any signed-in user reads them.
QuestionnaireResponses follow the patient access rules (patients.access) and every read is audited."""

import logging
import re
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.text import fold
from oncodcc.patients import access
from oncodcc.patients.models import Patient
from oncodcc.questionnaires.models import FicheAnswers, Questionnaire

from . import params
from .bundles import base_url, searchset
from .capability import capability_statement
from .outcomes import FhirError, error_response, fhir_response, invalid, not_found, not_supported
from .params import Condition, Search
from .resources import (
    RESPONSE_STATUS,
    parse_questionnaire_id,
    parse_response_id,
    questionnaire_resource,
    response_resource,
)

logger = logging.getLogger(__name__)

READ_METHODS = ("GET", "HEAD")
RESOURCE_TYPES = ("Questionnaire", "QuestionnaireResponse")
PUBLICATION_STATUS = "http://hl7.org/fhir/publication-status"
RESPONSE_STATUS_SYSTEM = "http://hl7.org/fhir/questionnaire-answers-status"
STRING_MODIFIERS = {"", "exact", "contains"}
QUESTIONNAIRE_SEARCH = {
    "_id": {""}, "url": {""}, "version": {""}, "status": {"", "not"},
    "name": STRING_MODIFIERS, "title": STRING_MODIFIERS,
}
RESPONSE_SEARCH = {
    "subject": {"", "Patient"}, "patient": {"", "Patient"}, "questionnaire": {""}, "status": {"", "not"},
    "_id": {""},
}
PATIENT_REFERENCE = re.compile(r"^(?:Patient/)?(?P<id>[A-Za-z0-9.-]{1,64})(?:/_history/[A-Za-z0-9.-]{1,64})?$")
PATIENT_PK = re.compile(r"^[1-9][0-9]{0,17}$")
RESOURCE = "QuestionnaireResponse"


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def fhir_view(*, public: bool = False):
    """GET/HEAD only (405 otherwise), JSON only (406), signed-in users unless public (401), and any error as an
    OperationOutcome — an unexpected one included, logged."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            pretty = params.wants_pretty(request)
            try:
                if request.method not in READ_METHODS:
                    raise FhirError(405, "not-supported",
                                    "Méthode non prise en charge : ce serveur FHIR est en lecture seule (GET).",
                                    headers={"Allow": ", ".join(READ_METHODS)})
                pretty = params.check_format(request)
                if not public and not _signed_in(request.user):
                    raise FhirError(401, "login", "Authentification requise : connectez-vous à OncoDCC.")
                return view(request, *args, pretty=pretty, **kwargs)
            except FhirError as error:
                return error_response(error, pretty=pretty)
            except Exception:
                logger.exception("FHIR : erreur inattendue (%s)", view.__name__)
                return error_response(FhirError(500, "exception", "Erreur interne du serveur."), pretty=pretty)

        return login_not_required(csrf_exempt(wrapper))

    return decorate


def _check_id(logical_id: str) -> None:
    if params.CONTROL_CHARS.search(logical_id):
        raise invalid("Caractère de contrôle interdit dans l'identifiant.")


def _token_codes(condition: Condition, system: str) -> list[str]:
    """The codes of a token condition: `code`, `|code` (no system) or `<system>|code`."""
    codes = []
    for value in condition.values:
        if "|" in value:
            value_system, _, code = value.partition("|")
            if value_system not in ("", system):
                continue
            value = code
        codes.append(value)
    return codes


def _any(conditions: list[Q]) -> Q:
    """OR of the conditions; matches nothing when there is none."""
    result = Q(pk__in=[])
    for condition in conditions:
        result |= condition
    return result


# --- metadata ---

@fhir_view(public=True)
def metadata(request: HttpRequest, *, pretty: bool) -> HttpResponse:
    params.parse_read(request, allowed={"mode"})
    modes = request.GET.getlist("mode")
    if len(modes) > 1 or (modes and modes[0] not in ("", "full")):
        raise not_supported("Seul le mode « full » de /metadata est pris en charge.")
    return fhir_response(capability_statement(base_url(request)), pretty=pretty)


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
        return _any([_logical_id_filter(value) for value in condition.values])
    if condition.name == "url":
        return _any([_canonical_filter(value) for value in condition.values])
    if condition.name == "version":
        return Q(version__in=_token_codes(condition, ""))
    # status
    q = Q(status__in=_token_codes(condition, PUBLICATION_STATUS))
    return ~q if condition.modifier == "not" else q


def _string_matches(text: str, condition: Condition) -> bool:
    """FHIR string search: starts with, ignoring case and accents; `:exact` and `:contains`."""
    for value in condition.values:
        if condition.modifier == "exact":
            if text == value:
                return True
        elif condition.modifier == "contains":
            if fold(value) in fold(text):
                return True
        elif fold(text).startswith(fold(value)):
            return True
    return False


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


@fhir_view()
def questionnaire_search(request: HttpRequest, *, pretty: bool) -> HttpResponse:
    search = params.parse_search(request, QUESTIONNAIRE_SEARCH)
    queryset = Questionnaire.objects.only("pk", "url", "version", "name", "title", "status", "published_at")
    strings = []
    for condition in search.conditions:
        if condition.name in ("name", "title"):
            strings.append(condition)
        else:
            queryset = queryset.filter(_questionnaire_filter(condition))
    matches = [q for q in queryset if all(_string_matches(getattr(q, c.name), c) for c in strings)]
    # By title, then the newest version first.
    matches.sort(key=lambda q: (fold(q.title), q.url, tuple(-n for n in _version_key(q.version))))
    page = matches[search.offset:search.offset + search.count]
    full = Questionnaire.objects.in_bulk([q.pk for q in page])
    resources = [questionnaire_resource(full[q.pk]) for q in page]
    return fhir_response(searchset(request, "Questionnaire", search, resources, len(matches)), pretty=pretty)


@fhir_view()
def questionnaire_read(request: HttpRequest, logical_id: str, *, pretty: bool) -> HttpResponse:
    _check_id(logical_id)
    params.parse_read(request)
    key = parse_questionnaire_id(logical_id)
    questionnaire = Questionnaire.objects.filter(url=key[0], version=key[1]).first() if key else None
    if questionnaire is None:
        raise not_found(f"Questionnaire/{logical_id} introuvable.")
    return fhir_response(questionnaire_resource(questionnaire), pretty=pretty)


# --- QuestionnaireResponse ---

def _patient_pk(request: HttpRequest, condition: Condition, value: str) -> int | None:
    """The patient a subject/patient value names: `Patient/<id>`, `<id>`, or an absolute URL on this server.
    None when it can name no patient of ours (unknown id format, another server)."""
    base = base_url(request)
    if value.startswith(base):
        value = value.removeprefix(base)
    elif value.startswith(("http://", "https://", "urn:")):
        return None
    if condition.modifier == "" and "/" in value and not value.startswith("Patient/"):
        raise not_supported("Seules les références au patient (Patient/<id>) sont prises en charge.")
    match = PATIENT_REFERENCE.match(value)
    if match is None:
        raise invalid(f"Référence de patient invalide : « {value} ».")
    return int(match["id"]) if PATIENT_PK.match(match["id"]) else None


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
        return _any(filters)
    # status
    statuses = [status for code in _token_codes(condition, RESPONSE_STATUS_SYSTEM)
                for status, fhir_code in RESPONSE_STATUS.items() if fhir_code == code]
    q = Q(fiche__status__in=statuses)
    return ~q if condition.modifier == "not" else q


def _authorise(user, patient: Patient) -> None:
    if not access.can_view_patient(user, patient):
        audit.record(actor=user, action=Action.ACCESS_DENIED, patient=patient,
                     details={"purpose": Action.FHIR_READ, "resource": RESOURCE})
        raise FhirError(403, "forbidden", "Accès refusé : vous n'avez pas accès au dossier de ce patient.")


def _records():
    return FicheAnswers.objects.select_related("fiche", "questionnaire").defer("questionnaire__definition")


@fhir_view()
def response_search(request: HttpRequest, *, pretty: bool) -> HttpResponse:
    search: Search = params.parse_search(request, RESPONSE_SEARCH)
    patients = {
        _patient_pk(request, condition, value)
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
    if patient is None:
        return fhir_response(searchset(request, RESOURCE, search, [], 0), pretty=pretty)
    _authorise(request.user, patient)
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
        audit.record(actor=request.user, action=Action.FHIR_READ, patient=patient,
                     details={"resource": RESOURCE, "count": len(resources)})
    return fhir_response(searchset(request, RESOURCE, search, resources, total), pretty=pretty)


@fhir_view()
def response_read(request: HttpRequest, logical_id: str, *, pretty: bool) -> HttpResponse:
    _check_id(logical_id)
    params.parse_read(request)
    pk = parse_response_id(logical_id)
    record = _records().select_related("fiche__patient").filter(fiche_id=pk).first() if pk else None
    if record is None:
        raise not_found(f"QuestionnaireResponse/{logical_id} introuvable.")
    patient = record.fiche.patient
    _authorise(request.user, patient)
    resource = response_resource(record)
    audit.record(actor=request.user, action=Action.FHIR_READ, patient=patient, obj=record.fiche,
                 details={"resource": RESOURCE, "count": 1})
    return fhir_response(resource, pretty=pretty)


# --- anything else under /fhir/ ---

@fhir_view(public=True)
def unsupported(request: HttpRequest, path: str, *, pretty: bool) -> HttpResponse:
    first = path.split("/", 1)[0]
    if first in RESOURCE_TYPES:
        raise not_supported(f"Interaction non prise en charge sur {first} : lecture ({first}/<id>) et recherche "
                            f"seulement.", 404)
    if not path:
        raise not_supported("Aucune interaction au niveau du système : voir /fhir/metadata.", 404)
    raise not_supported("Type de ressource ou opération non pris en charge : voir /fhir/metadata.", 404)


