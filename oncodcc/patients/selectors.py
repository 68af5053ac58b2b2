"""Reads of patient data: the authorization check and the access audit event live here."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Prefetch, Q, QuerySet

from oncodcc.audit import services as audit
from oncodcc.audit.models import AuditEvent, BreakGlassAccess
from oncodcc.audit.services import Action
from oncodcc.core.text import fold, strip_control_chars

from .models import Patient, PatientIdentifier
from .policy import (
    REGISTER,
    VIEW_HISTORY,
    VIEW_RECORD,
    AccessDenied,
    has_permission,
    patient_scope,
)

MAX_RESULTS = 50


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


def _identifier_filter(text: str) -> Q | None:
    compact = text.replace(" ", "")
    if not compact or len(compact) > 64:
        return None
    q = Q(pk__in=PatientIdentifier.objects.filter(value=compact).values("patient_id"))
    if compact.isalnum() and len(compact) in (13, 15):
        q |= Q(ins_matricule=compact) | Q(ins_matricule__startswith=compact[:13])
    return q


def search_patients(*, user, query: SearchQuery) -> SearchResults:
    """Search by name (birth or used, accent- and case-insensitive, partial), birth date, INS or IPP."""
    results = SearchResults()
    if query.is_empty:
        return results
    criteria = Q()
    tokens = fold(query.text).split()
    id_filter = _identifier_filter(query.text) if query.text.strip() else None
    name_filter = Q()
    for token in tokens:
        name_filter &= Q(search_text__contains=token)
    if tokens:
        criteria &= (name_filter | id_filter) if id_filter is not None else name_filter
    if query.birth_date:
        criteria &= Q(birth_date=query.birth_date)
    # A merged (absorbed) record is never offered: its survivor is (its identifiers moved there).
    base = Patient.objects.filter(criteria, merged_into__isnull=True).order_by(
        "birth_name", "first_birth_given_name", "birth_date")
    accessible = list(base.filter(patient_scope(user))[: MAX_RESULTS + 1])
    results.truncated = len(accessible) > MAX_RESULTS
    results.accessible = accessible[:MAX_RESULTS]
    # Restricted matches need strong criteria: an identifier, or a name with the birth date.
    strong = (id_filter is not None and base.filter(id_filter).exists()) or (tokens and query.birth_date)
    if strong and has_permission(user, REGISTER):
        seen = {p.pk for p in results.accessible}
        results.restricted = list(base.exclude(pk__in=seen)[:10])
    shown = [p.pk for p in results.accessible] + [p.pk for p in results.restricted]
    if shown:
        # One event for the result list: which patients were shown to whom (not the query text: it may hold names).
        audit.record(actor=user, action=Action.PATIENT_SEARCH,
                     details={"patients": shown, "restricted": [p.pk for p in results.restricted]})
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
    if not has_permission(user, VIEW_RECORD, patient):
        audit.record(actor=user, action=Action.ACCESS_DENIED, patient=patient, details={"purpose": purpose})
        raise AccessDenied
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
}


def access_history(*, user, patient: Patient, limit: int = 200) -> list[AccessEntry]:
    """'Qui a consulté ce dossier': for the DPO and the care team. Reading it is itself audited."""
    if not has_permission(user, VIEW_HISTORY, patient):
        raise AccessDenied
    # Search result lists are one event per list (patient ids in details): they are not repeated here.
    events = AuditEvent.objects.filter(patient_id=patient.pk).order_by("-occurred_at", "-id")[:limit]
    entries = [
        AccessEntry(e.occurred_at, e.actor_label, e.actor_role, e.action, ACTION_LABELS.get(e.action, e.action),
                    e.reason, e.ip_address)
        for e in events
    ]
    audit.record(actor=user, action=Action.PATIENT_ACCESS_HISTORY_VIEW, patient=patient)
    return entries


def break_glass_log(*, user, limit: int = 500) -> QuerySet[BreakGlassAccess]:
    """Every break-the-glass access, for the DPO."""
    from oncodcc.accounts.models import Role

    if user.role != Role.DPO and not user.is_superuser:
        raise AccessDenied
    return BreakGlassAccess.objects.select_related("user", "patient").order_by("-granted_at")[:limit]
