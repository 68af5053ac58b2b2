"""Reads of registrations: the authorization check (patients.policy) and the access audit event live here."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.patients.models import Patient
from oncodcc.patients.policy import EDIT, REGISTER, VIEW_RECORD, has_permission, require

from ..models import Fiche, Registration
from ..policy import works_in_board

# A patient shown to a user as an exact 'restricted' search match (no relation yet) may be registered by that
# user for this long after the search (patients.selectors.search_patients records which ones were shown).
RESTRICTED_MATCH_VALIDITY = timedelta(hours=12)

DENIED = "Vous n'avez pas accès au dossier de ce patient."


def _registrations():
    return Registration.objects.select_related(
        "patient", "meeting__board", "requesting_doctor", "presenting_doctor", "moved_to__meeting__board",
        "created_by",
    )


def load_registration(*, user, registration_id: int, purpose: str = "view", record_view: bool = False,
                      queryset=None) -> Registration:
    """The registration if the user may see its patient: Registration.DoesNotExist or PermissionDenied.
    A refusal is audited. A success is audited when `record_view` (a page showing it, e.g. the move or
    withdraw form); otherwise the caller's write, or `get_registration`, records the access."""
    registration = (queryset if queryset is not None else _registrations()).get(pk=registration_id)
    require(user, VIEW_RECORD, registration.patient, purpose=purpose, obj=registration)
    if record_view:
        audit.record(actor=user, action=Action.REGISTRATION_VIEW, patient=registration.patient, obj=registration,
                     details={"purpose": purpose})
    return registration


@dataclass
class RegistrationPage:
    registration: Registration
    fiches: list[Fiche]
    moved_from: list[Registration]
    can_edit: bool
    works_in_board: bool


def get_registration(*, user, registration_id: int) -> RegistrationPage:
    """A registration for display: access check and one REGISTRATION_VIEW event."""
    queryset = _registrations().prefetch_related(
        Prefetch("fiches", queryset=Fiche.objects.exclude(status=Fiche.Status.SUPERSEDED)
                 .order_by("-version_number"), to_attr="current_fiches"),
        Prefetch("moved_from", queryset=Registration.objects.select_related("meeting__board"), to_attr="origins"),
    )
    registration = load_registration(user=user, registration_id=registration_id, queryset=queryset)
    page = RegistrationPage(
        registration=registration, fiches=registration.current_fiches, moved_from=registration.origins,
        can_edit=registration.is_active and has_permission(user, EDIT, registration.patient),
        works_in_board=works_in_board(user, registration.meeting.board_id),
    )
    audit.record(actor=user, action=Action.REGISTRATION_VIEW, patient=registration.patient, obj=registration)
    return page


def shown_as_restricted_match(user, patient_id: int) -> bool:
    """Whether a recent search of this user showed the patient as an exact match without relation."""
    since = timezone.now() - RESTRICTED_MATCH_VALIDITY
    return AuditEvent.objects.filter(actor_id=user.pk, action=Action.PATIENT_SEARCH, patient_id=patient_id,
                                     occurred_at__gte=since, details__restricted=True).exists()


def patient_for_registration(*, user, patient_id: int) -> Patient:
    """The patient to put on a meeting's list, with minimal identity shown. Allowed when the user may see the
    record, or when a recent search showed it to them as an exact match: never by guessing an id."""
    patient = Patient.objects.get(pk=patient_id)
    if has_permission(user, VIEW_RECORD, patient) or (
        has_permission(user, REGISTER) and shown_as_restricted_match(user, patient.pk)
    ):
        # The form shows the patient's identity: an access in the patient's history.
        audit.record(actor=user, action=Action.PATIENT_VIEW, patient=patient, details={"purpose": "registration_form"})
        return patient
    audit.record(actor=user, action=Action.ACCESS_DENIED, patient=patient, details={"purpose": "registration"})
    raise PermissionDenied("Recherchez d'abord le patient (nom complet et date de naissance, INS ou IPP) "
                           "avant de l'inscrire.")
