"""/fhir/Practitioner and /fhir/Organization: the regional directory (not patient data: no audit event; a client
still needs the scope). Both tables are small (thousands of rows): name searches are checked in Python."""

from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from oncodcc.directory.models import OID_FINESS, OID_RPPS, Organisation, Practitioner
from oncodcc.terminology import valuesets

from . import params
from .bundles import searchset
from .caller import Caller
from .outcomes import fhir_response, not_found
from .params import Search
from .patient_resource import IDENTIFIER_TYPE_FR, oid_uri
from .registry import BY_TYPE
from .resources import prune
from .search import PK, any_of, pks, string_matches, token_codes, token_pairs

KIND_SYSTEM = "urn:oncodcc:organisation-kind"
FINESS_TYPE = {Organisation.Kind.LEGAL_ENTITY: "FINEJ", Organisation.Kind.SITE: "FINEG"}


def _pk(logical_id: str, resource: str) -> int:
    params.check_id(logical_id)
    if not PK.match(logical_id):
        raise not_found(f"{resource}/{logical_id[:64]} introuvable.")
    return int(logical_id)


def _page(request: HttpRequest, resource: str, search: Search, rows: list, build, pretty: bool) -> HttpResponse:
    page = rows[search.offset:search.offset + search.count]
    bundle = searchset(request, resource, search, [build(row) for row in page], len(rows))
    return fhir_response(bundle, pretty=pretty)


# --- Practitioner ---

def _specialty(code: str) -> dict | None:
    concept = valuesets.get(valuesets.SPECIALTY).by_code.get(code)
    if concept is None:
        return None
    return {"code": {"coding": [{"system": oid_uri(concept.system), "code": concept.code,
                                 "display": concept.display}]}}


def practitioner_resource(practitioner: Practitioner) -> dict:
    return prune({
        "resourceType": "Practitioner", "id": str(practitioner.pk),
        "identifier": [{"use": "official", "type": {"coding": [{"system": IDENTIFIER_TYPE_FR, "code": "RPPS"}]},
                        "system": oid_uri(OID_RPPS), "value": practitioner.rpps}] if practitioner.rpps else [],
        "active": practitioner.active,
        "name": [{"use": "official", "family": practitioner.last_name, "given": [practitioner.first_name],
                  "prefix": [practitioner.title] if practitioner.title else []}],
        "telecom": [t for t in ({"system": "email", "value": practitioner.email, "use": "work"},
                                {"system": "phone", "value": practitioner.phone, "use": "work"}) if t["value"]],
        "qualification": [q for q in (_specialty(practitioner.specialty),) if q],
    })


def _rpps_filter(condition) -> Q:
    filters = []
    for system, value in token_pairs(condition):
        if system in (None, oid_uri(OID_RPPS)) and value:
            # The IDNPS form (8 + RPPS) is accepted too.
            filters.append(Q(rpps=value.removeprefix("8") if len(value) == 12 else value))
    return any_of(filters)


def practitioner_search(request: HttpRequest, *, caller: Caller, pretty: bool) -> HttpResponse:
    search = params.parse_search(request, BY_TYPE["Practitioner"].supported)
    queryset = Practitioner.objects.all()
    strings = []
    for condition in search.conditions:
        if condition.name == "_id":
            queryset = queryset.filter(pk__in=pks(condition))
        elif condition.name == "identifier":
            queryset = queryset.filter(_rpps_filter(condition))
        else:
            strings.append(condition)
    texts = {"family": lambda p: [p.last_name], "given": lambda p: [p.first_name],
             "name": lambda p: [p.last_name, p.first_name]}
    rows = [p for p in queryset.order_by("last_name", "first_name", "pk")
            if all(string_matches(texts[c.name](p), c) for c in strings)]
    return _page(request, "Practitioner", search, rows, practitioner_resource, pretty)


def practitioner_read(request: HttpRequest, logical_id: str, *, caller: Caller, pretty: bool) -> HttpResponse:
    params.parse_read(request)
    practitioner = Practitioner.objects.filter(pk=_pk(logical_id, "Practitioner")).first()
    if practitioner is None:
        raise not_found(f"Practitioner/{logical_id} introuvable.")
    return fhir_response(practitioner_resource(practitioner), pretty=pretty)


# --- Organization ---

def organisation_resource(organisation: Organisation) -> dict:
    identifiers = []
    if organisation.finess:
        code = FINESS_TYPE.get(organisation.kind)
        identifiers.append({"use": "official", "system": oid_uri(OID_FINESS), "value": organisation.finess,
                            "type": {"coding": [{"system": IDENTIFIER_TYPE_FR, "code": code}]} if code else None})
    if organisation.oid:
        identifiers.append({"use": "secondary", "system": "urn:ietf:rfc:3986", "value": oid_uri(organisation.oid)})
    return prune({
        "resourceType": "Organization", "id": str(organisation.pk), "identifier": identifiers,
        "active": organisation.active,
        "type": [{"coding": [{"system": KIND_SYSTEM, "code": organisation.kind,
                              "display": organisation.get_kind_display()}]}],
        "name": organisation.name, "alias": [organisation.short_name] if organisation.short_name else [],
        "telecom": [{"system": "phone", "value": organisation.phone}] if organisation.phone else [],
        "address": [{"text": organisation.address}] if organisation.address.strip() else [],
        "partOf": {"reference": f"Organization/{organisation.parent_id}"} if organisation.parent_id else None,
    })


def _organisation_identifier_filter(condition) -> Q:
    filters = []
    for system, value in token_pairs(condition):
        if not value:
            continue
        if system in (None, oid_uri(OID_FINESS)):
            filters.append(Q(finess=value))
        if system in (None, "urn:ietf:rfc:3986") and value.startswith("urn:oid:"):
            filters.append(Q(oid=value.removeprefix("urn:oid:")))
    return any_of(filters)


def organisation_search(request: HttpRequest, *, caller: Caller, pretty: bool) -> HttpResponse:
    search = params.parse_search(request, BY_TYPE["Organization"].supported)
    queryset = Organisation.objects.all()
    strings = []
    for condition in search.conditions:
        if condition.name == "_id":
            queryset = queryset.filter(pk__in=pks(condition))
        elif condition.name == "identifier":
            queryset = queryset.filter(_organisation_identifier_filter(condition))
        elif condition.name == "type":
            queryset = queryset.filter(kind__in=token_codes(condition, KIND_SYSTEM))
        else:
            strings.append(condition)
    rows = [o for o in queryset.order_by("name", "pk")
            if all(string_matches([o.name, o.short_name], c) for c in strings)]
    return _page(request, "Organization", search, rows, organisation_resource, pretty)


def organisation_read(request: HttpRequest, logical_id: str, *, caller: Caller, pretty: bool) -> HttpResponse:
    params.parse_read(request)
    organisation = Organisation.objects.filter(pk=_pk(logical_id, "Organization")).first()
    if organisation is None:
        raise not_found(f"Organization/{logical_id} introuvable.")
    return fhir_response(organisation_resource(organisation), pretty=pretty)
