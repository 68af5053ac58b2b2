"""The patient policy: who may see which part of a patient's data, and do what with it (ADR 0006).

- **The record** (identity and clinical content: fiches, PPS, reports, documents) opens to a user who holds a
  relation with the patient (`core.policy.patient_relation`, registered by the apps that own them): care team or
  GP, doctor of an active registration, member, coordinator or secretary of a board where the patient has an
  active registration, the secretary or doctor who created the record, an unexpired break-the-glass access.
  Administrators (3C, DSRC, system) and the DPO hold only the relations that go through a practitioner: an
  administrator who is also the patient's doctor sees the record *as a doctor*; never as an administrator.
  The GP's relation is a *reading* one: validated fiches and PPS, no drafts, no writes (`works_on`).
- **The identity** alone (names, birth date, INS, IPPs) is also seen by the DPO (access histories) and the
  identity vigilance reviewers (DSRC and system administrators).
- **The access history** is read by the DPO and by the care team (and GP).
- **Break-the-glass** is the only door to a patient outside one's relations, for the roles that work on cases.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from oncodcc.accounts.models import Role
from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import (
    CASE_WORKER_ROLES,
    AccessDenied,
    has_permission,
    is_signed_in,
    patient_relation,
    register,
    relation_scope,
)

from .models import CareTeamMember, Patient

__all__ = ["AccessDenied", "has_permission"]

VIEW_RECORD = "patient.view_record"
VIEW_IDENTITY = "patient.view_identity"
EDIT = "patient.edit"
VIEW_HISTORY = "patient.view_history"
CREATE = "patient.create"
REGISTER = "patient.register"
BREAK_GLASS = "patient.break_glass"
REVIEW_IDENTITIES = "patient.review_identities"
SEARCH_IDENTITIES = "patient.search_identities"
AUDIT_BREAK_GLASS = "patient.audit_break_glass"

# Identity vigilance: the regional network's administrators (and the system administrator).
IDENTITY_REVIEWER_ROLES = frozenset({Role.ADMIN_DSRC, Role.SYSADMIN})


# --- relations owned by this app ---------------------------------------------------------------------------------


@patient_relation("care_team", "Équipe de soins", clinical=True)
def _care_team(user) -> Q | None:
    if not user.practitioner_id:
        return None
    return Q(pk__in=CareTeamMember.objects.filter(practitioner_id=user.practitioner_id).values("patient_id"))


# The GP reads the validated fiches and PPS of their patients (issue 10) without working on the case: no drafts,
# no writes — unless another relation (care team, a board, a registration) makes them one of its doctors.
@patient_relation("gp", "Médecin traitant", clinical=True, reading=True)
def _gp(user) -> Q | None:
    return Q(gp_id=user.practitioner_id) if user.practitioner_id else None


@patient_relation("creator", "Auteur du dossier")
def _creator(user) -> Q | None:
    return Q(created_by=user)


@patient_relation("break_glass", "Bris de glace en cours")
def _break_glass(user) -> Q | None:
    return Q(pk__in=user.break_glass_accesses.filter(expires_at__gt=timezone.now()).values("patient_id"))


# --- scopes -------------------------------------------------------------------------------------------------------


def patient_scope(user) -> Q:
    """A filter on Patient: the records (clinical content included) the user may open."""
    return relation_scope(user)


def accessible_patients(user) -> QuerySet[Patient]:
    return Patient.objects.filter(patient_scope(user))


def _in_scope(user, patient, *, working: bool = False) -> bool:
    return patient is not None and Patient.objects.filter(pk=patient.pk).filter(
        relation_scope(user, working=working)).exists()


def works_on(user, patient) -> bool:
    """The user holds a relation with the patient that lets them work on the case (drafts, writes), not only
    read its validated documents (the GP's reading relation)."""
    return is_signed_in(user) and _in_scope(user, patient, working=True)


def reads_document(user, patient, *, draft: bool) -> bool:
    """The rule of `fiche.view` and `careplan.view`: a validated (or superseded) document to anyone who opens the
    record; a draft only to those who work on the case."""
    return works_on(user, patient) if draft else is_signed_in(user) and _in_scope(user, patient)


# --- permissions --------------------------------------------------------------------------------------------------


@register(VIEW_RECORD, "Ouvrir le dossier (identité et contenu clinique)")
def can_view_record(user, patient) -> bool:
    return is_signed_in(user) and _in_scope(user, patient)


@register(EDIT, "Modifier le dossier, inscrire, saisir fiches et PPS")
def can_edit(user, patient) -> bool:
    return is_signed_in(user) and user.role in CASE_WORKER_ROLES and _in_scope(user, patient, working=True)


@register(VIEW_IDENTITY, "Voir l'identité (sans contenu clinique)")
def can_view_identity(user, patient) -> bool:
    if not is_signed_in(user) or patient is None:
        return False
    if user.role == Role.DPO or user.role in IDENTITY_REVIEWER_ROLES:
        return True
    return _in_scope(user, patient)


@register(VIEW_HISTORY, "Lire l'historique des accès")
def can_view_history(user, patient) -> bool:
    if not is_signed_in(user) or patient is None:
        return False
    if user.role == Role.DPO:
        return True
    if not user.practitioner_id:
        return False
    return patient.gp_id == user.practitioner_id or CareTeamMember.objects.filter(
        patient=patient, practitioner_id=user.practitioner_id
    ).exists()


@register(CREATE, "Créer un dossier patient")
def can_create(user, obj=None) -> bool:
    return is_signed_in(user) and user.role in CASE_WORKER_ROLES


@register(REGISTER, "Inscrire des dossiers en RCP")
def can_register(user, obj=None) -> bool:
    return is_signed_in(user) and user.role in CASE_WORKER_ROLES


@register(BREAK_GLASS, "Accéder en bris de glace")
def can_break_glass(user, obj=None) -> bool:
    return is_signed_in(user) and user.role in CASE_WORKER_ROLES


@register(REVIEW_IDENTITIES, "Identitovigilance (doublons, fusions)")
def can_review_identities(user, obj=None) -> bool:
    return is_signed_in(user) and user.role in IDENTITY_REVIEWER_ROLES


@register(SEARCH_IDENTITIES, "Rechercher tout patient par son identité (historique des accès)")
def can_search_identities(user, obj=None) -> bool:
    return is_signed_in(user) and user.role == Role.DPO


@register(AUDIT_BREAK_GLASS, "Lire le registre des bris de glace")
def can_audit_break_glass(user, obj=None) -> bool:
    return is_signed_in(user) and (user.role == Role.DPO or user.is_superuser)


def break_glass_duration() -> timedelta:
    return timedelta(hours=settings.DCC_BREAK_GLASS_HOURS)


DENIED = "Vous n'avez pas accès au dossier de ce patient."


def require(user, permission: str, patient, *, purpose: str, obj=None, message: str = DENIED,
            target=None) -> None:
    """Check a permission on a patient's data (on `target`, e.g. a fiche for `fiche.view`, when given; else on the
    patient); a refusal is audited in the patient's history and raised as AccessDenied (the 403 page offers
    break-the-glass)."""
    if has_permission(user, permission, patient if target is None else target):
        return
    audit.record(actor=user, action=Action.ACCESS_DENIED, patient=patient, obj=obj, details={"purpose": purpose})
    raise AccessDenied(message, patient_id=patient.pk)
