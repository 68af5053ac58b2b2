"""/fhir/Patient: search and read (within the caller's patients), create and update by a hospital's client with
the matching rules of every inbound channel (`patients.inbound`: the hospital's IPP, then the INS; never the traits
alone)."""

from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse

from oncodcc.core.text import fold
from oncodcc.patients import inbound
from oncodcc.patients.inbound import INS_OIDS, IdentityError, IdentityMismatch
from oncodcc.patients.models import Patient, PatientIdentifier

from . import params
from .body import read_resource
from .bundles import base_url, searchset
from .caller import Caller
from .outcomes import conflict, fhir_response, forbidden, invalid, unprocessable
from .params import Condition
from .patient_resource import GENDER_IN, incoming_identity, patient_resource
from .registry import BY_TYPE
from .search import PK, any_of, date_filter, pks, string_matches, token_codes, token_pairs
from .trail import record_read, record_write, visible_patient

RESOURCE = "Patient"
# Name searches narrow in the database, then check "starts with" without accents in Python, reading the candidates
# in name order by chunks until the page is full. Within the first TOTAL_WITHIN candidates the total is counted;
# beyond, a broad search (a common name over a region) answers its page without a total (unless `_total=accurate`),
# with a next link when more matches follow.
SCAN_CHUNK = 1000
TOTAL_WITHIN = 5000
NAME_FIELDS = ("pk", "birth_name", "used_name", "birth_given_names", "used_given_name")


def _full(queryset):
    return queryset.prefetch_related(
        Prefetch("identifiers", queryset=PatientIdentifier.objects.select_related("organisation").order_by("pk")))


def _identifier_filter(condition: Condition) -> Q:
    filters = []
    for system, value in token_pairs(condition):
        value = value.strip()
        oid = system.removeprefix("urn:oid:") if system and system.startswith("urn:oid:") else None
        if system is None:
            if value:
                filters.append(Q(ins_matricule=value.replace(" ", ""))
                               | Q(pk__in=PatientIdentifier.objects.filter(value=value).values("patient_id")))
        elif oid in INS_OIDS:
            filters.append(Q(ins_oid=oid, ins_matricule=value.replace(" ", "")) if value
                           else Q(ins_oid=oid) & ~Q(ins_matricule=""))
        elif oid:
            identifiers = PatientIdentifier.objects.filter(system=oid)
            if value:
                identifiers = identifiers.filter(value=value)
            filters.append(Q(pk__in=identifiers.values("patient_id")))
    return any_of(filters)


def _name_texts(row: tuple, name: str) -> list[str]:
    _, birth_name, used_name, birth_given, used_given = row
    family = [birth_name, used_name]
    given = [birth_given, *birth_given.split(), used_given]
    return {"family": family, "given": given, "name": family + given}[name]


def patient_search(request: HttpRequest, *, caller: Caller, pretty: bool) -> HttpResponse:
    search = params.parse_search(request, BY_TYPE[RESOURCE].supported)
    queryset = Patient.objects.filter(caller.patient_scope())
    strings = []
    for condition in search.conditions:
        if condition.name == "_id":
            queryset = queryset.filter(pk__in=pks(condition))
        elif condition.name == "identifier":
            queryset = queryset.filter(_identifier_filter(condition))
        elif condition.name == "birthdate":
            queryset = queryset.filter(date_filter("birth_date", condition, is_date=True))
        elif condition.name == "gender":
            codes = token_codes(condition, "http://hl7.org/fhir/administrative-gender")
            queryset = queryset.filter(sex__in=[GENDER_IN[c] for c in codes if c in GENDER_IN])
        else:
            strings.append(condition)
            queryset = queryset.filter(any_of([Q(search_text__contains=fold(v)) for v in condition.values]))
    ordered = queryset.order_by("birth_name", "first_birth_given_name", "birth_date", "pk")
    more = None
    if strings:
        page, total, more = _string_page(ordered, strings, search)
    elif search.total == "none":
        rows = list(ordered.values_list("pk", flat=True)[search.offset:search.offset + search.count + 1])
        page, total, more = rows[:search.count], None, len(rows) > search.count
    else:
        total = ordered.count()
        page = list(ordered.values_list("pk", flat=True)[search.offset:search.offset + search.count]) \
            if search.count else []
    patients = _full(Patient.objects.filter(pk__in=page)).in_bulk()
    resources = [patient_resource(patients[pk]) for pk in page if pk in patients]
    record_read(caller, resource=RESOURCE, patient_ids=page, count=len(resources))
    return fhir_response(searchset(request, RESOURCE, search, resources, total, more=more), pretty=pretty)


def _string_page(ordered, strings: list[Condition], search: params.Search) -> tuple[list[int], int | None, bool]:
    """The page of a name search: (ids, total or None when not counted, whether more matches follow)."""
    wanted = search.offset + search.count
    matches, scanned = [], 0
    while True:
        rows = list(ordered.values_list(*NAME_FIELDS)[scanned:scanned + SCAN_CHUNK])
        scanned += len(rows)
        matches += [row[0] for row in rows if all(string_matches(_name_texts(row, c.name), c) for c in strings)]
        if len(rows) < SCAN_CHUNK:
            return matches[search.offset:wanted], len(matches), False
        if len(matches) > wanted and scanned >= TOTAL_WITHIN and search.total != "accurate":
            return matches[search.offset:wanted], None, True


def _pk(logical_id: str) -> int | None:
    params.check_id(logical_id)
    return int(logical_id) if PK.match(logical_id) else None


def patient_read(request: HttpRequest, logical_id: str, *, caller: Caller, pretty: bool) -> HttpResponse:
    pk = _pk(logical_id)
    params.parse_read(request)
    patient = visible_patient(caller, pk, resource=RESOURCE, logical=f"Patient/{logical_id}")
    patient = _full(Patient.objects.filter(pk=patient.pk)).get()
    record_read(caller, resource=RESOURCE, patient_ids=[patient.pk], count=1, obj=patient)
    return fhir_response(patient_resource(patient), pretty=pretty)


def hospital_of(caller: Caller, what: str, *, need_oid: bool = True):
    """The client's hospital: writes come from a hospital's system, whose identifiers (IPP, under its OID) they
    carry — a lab sending documents identified by INS may have no OID (`need_oid` False)."""
    organisation = caller.organisation
    if organisation is None:
        raise forbidden(f"{what} : réservé aux clients d'un établissement (un client régional ne fait que lire).")
    if need_oid and not organisation.oid:
        raise unprocessable("L'établissement du client n'a pas d'OID d'autorité d'affectation des IPP : "
                            "renseignez-le dans l'annuaire.")
    return organisation


def _respond(request: HttpRequest, patient: Patient, *, status: int, pretty: bool,
             warnings: list[str] | None = None) -> HttpResponse:
    """The record as a Patient resource; or, when the identity was filed with a warning (an INS set aside), an
    OperationOutcome with one warning issue per warning — the record is at the Location (FHIR lets a server
    answer a write with an OperationOutcome: a client that reads only the status code still sees success)."""
    patient = _full(Patient.objects.filter(pk=patient.pk)).get()
    location = f"{base_url(request)}Patient/{patient.pk}"
    headers = {"Location": location} if status == 201 or warnings else None
    if warnings:
        outcome = {"resourceType": "OperationOutcome",
                   "issue": [{"severity": "warning", "code": "business-rule", "diagnostics": text,
                              "expression": ["Patient.identifier"]} for text in warnings]}
        return fhir_response(outcome, status=status, pretty=pretty, headers=headers)
    return fhir_response(patient_resource(patient), status=status, pretty=pretty, headers=headers)


def _identity_refused(exc: IdentityError):
    """The refusal of an identity, once the transaction has rolled back: the identity vigilance incident (if any)
    is recorded; an INS known with other traits is a conflict (409), anything else 422."""
    incident = inbound.record_incident(exc)
    if isinstance(incident, IdentityMismatch):
        return conflict(str(exc))
    return unprocessable(str(exc))


def patient_create(request: HttpRequest, *, caller: Caller, pretty: bool) -> HttpResponse:
    """Conditional create: 201 when the patient is created, 200 with the record when the hospital's IPP or the
    INS already designates one (the identity is then left as is: PUT updates it; the IPP is attached). An INS
    match must be proven by the strict traits (`inbound`): otherwise 409, nothing attached."""
    params.parse_read(request)
    organisation = hospital_of(caller, "Création de patient")
    data = read_resource(request, RESOURCE)
    incoming = incoming_identity(data, organisation=organisation)
    if not incoming.ipp:
        raise unprocessable(f"IPP obligatoire : un identifier de system urn:oid:{organisation.oid} (l'OID de votre "
                            f"établissement).", code="required")
    try:
        with transaction.atomic():
            resolution = inbound.resolve(actor=caller.actor, organisation=organisation, incoming=incoming,
                                         create=True, update=False, channel="fhir")
            record_write(caller, resource=RESOURCE, interaction="create", patient_id=resolution.patient.pk,
                         obj=resolution.patient, details={"outcome": resolution.how})
    except IdentityError as exc:
        raise _identity_refused(exc) from exc
    return _respond(request, resolution.patient, status=201 if resolution.created else 200, pretty=pretty,
                    warnings=resolution.warnings)


def patient_update(request: HttpRequest, logical_id: str, *, caller: Caller, pretty: bool) -> HttpResponse:
    pk = _pk(logical_id)
    params.parse_read(request)
    organisation = hospital_of(caller, "Mise à jour de patient")
    target = visible_patient(caller, pk, resource=RESOURCE, logical=f"Patient/{logical_id}")
    data = read_resource(request, RESOURCE)
    if data.get("id") != logical_id:
        raise invalid(f"L'id de la ressource doit être celui de l'URL ({logical_id}).")
    if target.is_merged:
        raise conflict(f"Patient/{logical_id} a été fusionné dans Patient/{target.merged_into_id} : mettez à jour "
                       f"ce dernier.")
    incoming = incoming_identity(data, organisation=organisation)
    if not incoming.ipp and not incoming.ins_matricule:
        raise unprocessable("L'IPP de votre établissement (ou l'INS) doit désigner le patient.", code="required")
    try:
        with transaction.atomic():
            found, _ = inbound.find_patient(organisation=organisation, incoming=incoming.cleaned())
            if found is None:
                raise unprocessable("Ni l'IPP ni l'INS de la ressource ne sont connus pour ce patient : création "
                                    "par POST, ou changement d'IPP par HL7 (A47).", code="not-found")
            if found.pk != target.pk:
                raise conflict("L'IPP ou l'INS de la ressource désigne un autre dossier que celui de l'URL.")
            resolution = inbound.resolve(actor=caller.actor, organisation=organisation, incoming=incoming,
                                         create=False, update=True, channel="fhir")
            record_write(caller, resource=RESOURCE, interaction="update", patient_id=target.pk, obj=target,
                         details={"fields": resolution.updated_fields})
    except IdentityError as exc:
        raise _identity_refused(exc) from exc
    return _respond(request, resolution.patient, status=200, pretty=pretty, warnings=resolution.warnings)
