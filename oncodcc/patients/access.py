"""Who may see a patient: the one place that answers it (DOMAIN.md, ARCHITECTURE.md §3).

A user may open a patient's record when they are in the patient's care team (or the patient's GP), created the
record (a secretary goes on to register the case), a member,
coordinator or secretary of a board where the patient is or was registered, 3C/DSRC staff over such a board,
or when they opened a justified break-the-glass access that has not expired. The DPO reads access histories,
not clinical data.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from oncodcc.accounts.models import Role
from oncodcc.rcp.models import Registration
from oncodcc.rcp.scope import boards_of

from .models import CareTeamMember, Patient

# Roles that work on cases: create patients, register them, write fiches, and may break the glass.
WRITER_ROLES = {Role.DOCTOR, Role.COORDINATOR, Role.SECRETARY}
BREAK_GLASS_ROLES = WRITER_ROLES


class AccessDenied(Exception):
    """The user has no right to this patient's data (the view answers 403 or offers break-the-glass)."""


def patient_scope(user) -> Q:
    """A filter on Patient selecting the patients the user may see (without break-the-glass: see below)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    q = Q(pk__in=Registration.objects.filter(meeting__board__in=boards_of(user)).values("patient_id"))
    if user.role in WRITER_ROLES:
        q |= Q(created_by=user)
    if user.practitioner_id:
        q |= Q(pk__in=CareTeamMember.objects.filter(practitioner_id=user.practitioner_id).values("patient_id"))
        q |= Q(gp_id=user.practitioner_id)
    q |= Q(
        pk__in=user.break_glass_accesses.filter(expires_at__gt=timezone.now()).values("patient_id")
    )
    return q


def accessible_patients(user) -> QuerySet[Patient]:
    return Patient.objects.filter(patient_scope(user))


def can_view_patient(user, patient: Patient) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return Patient.objects.filter(pk=patient.pk).filter(patient_scope(user)).exists()


def can_edit_patient(user, patient: Patient) -> bool:
    """Clinicians and secretaries with a relation edit; administrators and the DPO only read."""
    return user.role in WRITER_ROLES and can_view_patient(user, patient)


def can_view_access_history(user, patient: Patient) -> bool:
    """The DPO, and the patient's care team (or GP)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.DPO:
        return True
    if not user.practitioner_id:
        return False
    return patient.gp_id == user.practitioner_id or CareTeamMember.objects.filter(
        patient=patient, practitioner_id=user.practitioner_id
    ).exists()


def can_break_glass(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.role in BREAK_GLASS_ROLES


def can_register_patients(user) -> bool:
    """Doctors and secretaries put cases on a meeting's list (the patient found through search)."""
    return getattr(user, "is_authenticated", False) and user.role in WRITER_ROLES


def break_glass_duration() -> timedelta:
    return timedelta(hours=settings.DCC_BREAK_GLASS_HOURS)
