"""Reads of patient data: the authorization check and the access audit event live here."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import connection
from django.db.models import BooleanField, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from oncodcc.audit import services as audit
from oncodcc.audit.listing import record_shown
from oncodcc.audit.models import AuditEvent, BreakGlassAccess
from oncodcc.audit.services import Action
from oncodcc.core.text import fold, strip_control_chars

from .models import Patient, PatientIdentifier
from .policy import (
    AUDIT_BREAK_GLASS,
    BREAK_GLASS,
    REGISTER,
    SEARCH_IDENTITIES,
    VIEW_HISTORY,
    VIEW_RECORD,
    AccessDenied,
    has_permission,
    patient_scope,
    require,
)

MAX_RESULTS = 50
# Up to this many candidates are brought back as ids and checked against the access rules by primary key; beyond
# (a one- or two-letter name over a region), the candidates stay a subquery: a full scan is then the right plan.
MAX_CANDIDATE_IDS = 20_000


@dataclass
class SearchQuery:
    text: str = ""
    birth_date: date | None = None

    @property
    def is_empty(self) -> bool:
        return not self.text.strip() and self.birth_date is None


@dataclass
class SearchResults:
    # Patients the user may open.
    accessible: list[Patient] = field(default_factory=list)
    # Exact matches (identifier, or full name + birth date) the user has no relation to: shown with minimal
    # identity so that a case can be registered or the glass broken, never listed by partial name.
    restricted: list[Patient] = field(default_factory=list)
    # The DPO's search: identities of any patient, to open their access history (no clinical content).
    identities: list[Patient] = field(default_factory=list)
    truncated: bool = False


_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_query(raw: str, birth_date: date | None = None) -> SearchQuery:
    """Free text may hold a date (jj/mm/aaaa): it becomes the birth-date criterion."""
    words = []
    for word in strip_control_chars(raw).split():
        match = _DATE.match(word)
        if match and birth_date is None:
            day, month, year = (int(g) for g in match.groups())
            try:
                birth_date = date(year, month, day)
                continue
            except ValueError:
                pass
        words.append(word)
    return SearchQuery(text=" ".join(words), birth_date=birth_date)


def _identifier_candidates(text: str, birth_date: date | None) -> list[QuerySet]:
    """The patients an identifier in the text designates: an IPP (any hospital), an INS (15 characters, or its
    13-character matricule without the key). One indexed query each."""
    compact = text.replace(" ", "")
    if not compact or len(compact) > 64:
        return []
    by_ipp = Patient.objects.filter(pk__in=PatientIdentifier.objects.filter(value=compact).values("patient_id"))
    queries = [by_ipp]
    if compact.isalnum() and len(compact) in (13, 15):
        queries.append(Patient.objects.filter(ins_matricule=compact))
        queries.append(Patient.objects.filter(ins_matricule__startswith=compact[:13]))
    if birth_date:
        queries = [q.filter(birth_date=birth_date) for q in queries]
    return queries


def _candidates(query: SearchQuery, scope: Q | None = None) -> QuerySet | None:
    """The ids of the patients matching the query, each criterion through its own index (the names' trigram or
    prefix index, the birth date, the INS, the IPP) and ANDed with the access rules (`scope`) in its own branch,
    the branches joined by UNION: the rows an index finds are checked as they are read. ORed together (name or
    IPP) and then with the access rules, the criteria would leave PostgreSQL no index to use and it would read
    every patient of the region (docs/regional-scale.md)."""
    tokens = fold(query.text).split()
    queries = []
    if tokens:
        by_name = Patient.objects.all()
        for token in tokens:
            by_name = by_name.filter(search_text__contains=token)
        if query.birth_date:
            by_name = by_name.filter(birth_date=query.birth_date)
        queries.append(by_name)
        queries += _identifier_candidates(query.text, query.birth_date)
    elif query.birth_date:
        queries.append(Patient.objects.filter(birth_date=query.birth_date))
    if not queries:
        # Punctuation only, no date: no criterion narrows the search (as before: the user's own patients).
        return None if scope is None else Patient.objects.filter(scope).order_by().values("pk")
    if scope is not None:
        queries = [q.filter(scope) for q in queries]
    ids = [q.order_by().values("pk") for q in queries]
    return ids[0].union(*ids[1:]) if len(ids) > 1 else ids[0]


def _candidate_filter(candidates: QuerySet | None) -> Q:
    """The candidates as a filter on their ids. On PostgreSQL they come back as a list first: given as a list,
    PostgreSQL knows how few they are and reads those rows by primary key; given as a subquery, it misjudges the
    union's size and may read every patient (docs/regional-scale.md). Elsewhere (SQLite: no trigram index, a
    bounded number of SQL variables) they stay a subquery."""
    if candidates is None:
        return Q()
    if connection.vendor != "postgresql":
        return Q(pk__in=candidates)
    ids = [row["pk"] for row in candidates[: MAX_CANDIDATE_IDS + 1]]
    if len(ids) > MAX_CANDIDATE_IDS:
        return Q(pk__in=candidates)
    # One array parameter (thousands of `IN (%s, …)` placeholders cost more to build than the query to run); a
    # constant SQL text.
    return Q(RawSQL('"patients_patient"."id" = ANY(%s)', (ids,), output_field=BooleanField()))


def own_organisations(user) -> list[int]:
    """The hospitals whose IPPs the user may search by: their practitioner's organisations, their own
    organisation and, for a 3C, the hospitals attached to it."""
    from oncodcc.directory.models import Organisation

    ids = set()
    if user.practitioner_id:
        ids |= set(user.practitioner.organisations.values_list("pk", flat=True))
    if user.organisation_id:
        ids.add(user.organisation_id)
    if ids:
        ids |= set(Organisation.objects.filter(parent_id__in=ids).values_list("pk", flat=True))
    return sorted(ids)


def _exact_outside_relations(query: SearchQuery, user, base: QuerySet[Patient]) -> list[Patient]:
    """Patients outside the user's relations are shown only on an exact criterion: the full INS (15 characters),
    an IPP of one of the user's own hospitals, or the exact birth name + first birth given name + birth date.
    Never a partial name, never another hospital's IPP (break-the-glass is the only door)."""
    compact = query.text.replace(" ", "")
    # Each exact criterion through its own index, joined by UNION (see `_candidates`).
    exact = []
    if compact.isalnum() and len(compact) == 15:
        exact.append(Patient.objects.filter(ins_matricule=compact.upper()).order_by().values("pk"))
    if compact and len(compact) <= 64:
        exact.append(PatientIdentifier.objects.filter(
            value=compact, organisation_id__in=own_organisations(user)).order_by().values("patient_id"))
    q = Q(pk__in=exact[0].union(*exact[1:])) if exact else Q(pk__in=[])
    found = list(base.filter(q)[:10])
    tokens = sorted(fold(query.text).split())
    if query.birth_date and tokens:
        for patient in base.filter(birth_date=query.birth_date)[:200]:
            names = sorted(fold(f"{patient.birth_name} {patient.first_birth_given_name}").split())
            if names == tokens and patient not in found:
                found.append(patient)
    return found[:10]


def search_patients(*, user, query: SearchQuery) -> SearchResults:
    """Search by name (birth or used, accent- and case-insensitive, partial), birth date, INS or IPP, among the
    patients the user holds a relation with; exact matches outside them (see above) for the roles that register
    cases or break the glass; every patient by identity for the DPO (to reach an access history)."""
    results = SearchResults()
    if query.is_empty:
        return results
    # A merged (absorbed) record is never offered: its survivor is (its identifiers moved there).
    base = Patient.objects.filter(merged_into__isnull=True).order_by(
        "birth_name", "first_birth_given_name", "birth_date")
    if has_permission(user, SEARCH_IDENTITIES):
        # The DPO: identities only, each row leading to the access history.
        found = list(base.filter(_candidate_filter(_candidates(query)))[: MAX_RESULTS + 1])
        results.truncated = len(found) > MAX_RESULTS
        results.identities = found[:MAX_RESULTS]
    else:
        scope = patient_scope(user)
        accessible = list(base.filter(_candidate_filter(_candidates(query, scope)))[: MAX_RESULTS + 1])
        results.truncated = len(accessible) > MAX_RESULTS
        results.accessible = accessible[:MAX_RESULTS]
        if has_permission(user, REGISTER) or has_permission(user, BREAK_GLASS):
            seen = {p.pk for p in results.accessible}
            results.restricted = [p for p in _exact_outside_relations(query, user, base) if p.pk not in seen]
    restricted = {p.pk: {"restricted": True} for p in results.restricted}
    shown = [p.pk for p in (*results.accessible, *results.restricted, *results.identities)]
    # One event per patient shown (never the query text: it may hold names).
    record_shown(actor=user, action=Action.PATIENT_SEARCH, patient_ids=shown, per_patient=restricted)
    return results


def get_patient(*, user, patient_id: int, purpose: str = Action.PATIENT_VIEW) -> Patient:
    """The patient's record for display, or AccessDenied. Records one access event."""
    patient = (
        Patient.objects.select_related("gp")
        .prefetch_related(Prefetch("identifiers", queryset=PatientIdentifier.objects.select_related("organisation")))
        .filter(pk=patient_id)
        .first()
    )
    if patient is None:
        raise Patient.DoesNotExist
    require(user, VIEW_RECORD, patient, purpose=purpose)
    audit.record(actor=user, action=purpose, patient=patient, obj=patient)
    return patient


@dataclass(frozen=True)
class AccessEntry:
    occurred_at: datetime
    actor_label: str
    actor_role: str
    action: str
    action_label: str
    reason: str
    ip_address: str


ACTION_LABELS = {
    Action.PATIENT_VIEW: "Consultation du dossier",
    Action.PATIENT_SEARCH: "Affiché dans une recherche",
    Action.PATIENT_LIST: "Affiché dans une liste de travail",
    Action.PATIENT_CREATE: "Création du dossier",
    Action.PATIENT_UPDATE: "Modification de l'identité",
    Action.PATIENT_MERGE: "Fusion de dossiers (doublon)",
    Action.PATIENT_UNMERGE: "Annulation d'une fusion de dossiers",
    Action.BREAK_GLASS: "Accès en bris de glace",
    Action.ACCESS_DENIED: "Accès refusé",
    Action.REGISTRATION_CREATE: "Inscription en RCP",
    Action.REGISTRATION_UPDATE: "Modification d'une inscription",
    Action.REGISTRATION_MOVE: "Report d'une inscription",
    Action.REGISTRATION_WITHDRAW: "Retrait d'une inscription",
    Action.REGISTRATION_VIEW: "Consultation d'une inscription",
    Action.FICHE_CREATE: "Création d'une fiche RCP",
    Action.FICHE_UPDATE: "Saisie de la fiche RCP",
    Action.FICHE_VIEW: "Consultation d'une fiche RCP",
    Action.FICHE_PRINT: "Impression d'une fiche RCP",
    Action.FICHE_VALIDATE: "Validation (signature) d'une fiche RCP",
    Action.FICHE_CORRECT: "Correction d'une fiche RCP (nouvelle version)",
    Action.FICHE_FIRST_SIGN: "Première signature d'une fiche RCP (double signature)",
    Action.CAREPLAN_CREATE: "Création d'un programme personnalisé de soins",
    Action.CAREPLAN_UPDATE: "Saisie d'un programme personnalisé de soins",
    Action.CAREPLAN_VALIDATE: "Validation d'un programme personnalisé de soins",
    Action.CAREPLAN_HANDOVER: "Remise du programme personnalisé de soins au patient",
    Action.CAREPLAN_NEW_VERSION: "Mise à jour d'un programme personnalisé de soins (nouvelle version)",
    Action.CAREPLAN_VIEW: "Consultation d'un programme personnalisé de soins",
    Action.DOCUMENT_DOWNLOAD: "Téléchargement d'un document",
    Action.DOCUMENT_EXPORT: "Export des documents (archive)",
    Action.FHIR_READ: "Lecture par l'API FHIR",
    Action.FHIR_WRITE: "Écriture par l'API FHIR",
    Action.DOCUMENT_RECEIVE: "Réception d'un document",
    Action.DOCUMENT_REPLACE: "Remplacement d'un document reçu",
    Action.DOCUMENT_DELETE: "Suppression d'un document par l'émetteur",
    Action.DOCUMENT_VIEW: "Consultation d'un document",
    Action.HL7_MESSAGE: "Message HL7 reçu",
    Action.HL7_REPLAY: "Rejeu d'un message HL7",
    Action.LAUNCH: "Ouverture depuis le dossier de l'établissement (appel contextuel)",
    Action.LAUNCH_REFUSED: "Appel contextuel refusé",
    Action.PATIENT_ACCESS_HISTORY_VIEW: "Consultation de l'historique des accès",
    Action.IMAGING_STUDIES_VIEW: "Consultation de la liste des examens d'imagerie",
    Action.IMAGING_STUDY_VIEW: "Ouverture d'un examen d'imagerie dans le visualiseur",
    Action.IMAGING_STUDY_PIN: "Choix d'un examen d'imagerie à projeter en RCP",
    Action.IMAGING_STUDY_UNPIN: "Retrait d'un examen d'imagerie à projeter",
}


def access_history(*, user, patient: Patient, limit: int = 200) -> list[AccessEntry]:
    """'Qui a consulté ce dossier': for the DPO and the care team. Reading it is itself audited."""
    if not has_permission(user, VIEW_HISTORY, patient):
        raise AccessDenied("L'historique des accès est réservé au DPO et à l'équipe de soins du patient.")
    events = AuditEvent.objects.filter(patient_id=patient.pk).order_by("-occurred_at", "-id")[:limit]
    entries = [
        AccessEntry(e.occurred_at, e.actor_label, e.actor_role, e.action, ACTION_LABELS.get(e.action, e.action),
                    e.reason, e.ip_address)
        for e in events
    ]
    audit.record(actor=user, action=Action.PATIENT_ACCESS_HISTORY_VIEW, patient=patient)
    return entries


@dataclass(frozen=True)
class BreakGlassRow:
    occurred_at: datetime
    user_label: str
    role: str
    patient: Patient | None
    reason: str
    via: str  # "bris de glace" or "inscription en RCP"
    expires_at: datetime | None  # a registration's access ends with the registration, not at a time

    @property
    def role_label(self) -> str:
        from oncodcc.accounts.models import Role

        return str(Role(self.role).label) if self.role in Role.values else self.role


def break_glass_log(*, user, limit: int = 500) -> list[BreakGlassRow]:
    """Every access outside one's relations, for the DPO: the break-the-glass accesses and the registrations of
    a patient the registering user had no relation with (both carry a typed reason)."""
    if not has_permission(user, AUDIT_BREAK_GLASS):
        raise AccessDenied("La liste des accès en bris de glace est réservée au DPO.")
    rows = [
        BreakGlassRow(g.granted_at, str(g.user), g.user.role, g.patient, g.reason, "bris de glace", g.expires_at)
        for g in BreakGlassAccess.objects.select_related("user", "patient").order_by("-granted_at")[:limit]
    ]
    registrations = list(AuditEvent.objects.filter(action=Action.BREAK_GLASS, details__via="registration")
                         .order_by("-occurred_at")[:limit])
    patients = Patient.objects.in_bulk([e.patient_id for e in registrations])
    rows += [BreakGlassRow(e.occurred_at, e.actor_label, e.actor_role, patients.get(e.patient_id), e.reason,
                           "inscription en RCP", None) for e in registrations]
    rows.sort(key=lambda row: row.occurred_at, reverse=True)
    return rows[:limit]
