"""Writes on patients. Every function: keyword-only, `actor=`, one transaction, audit event inside it."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.models import BreakGlassAccess
from oncodcc.audit.services import Action
from oncodcc.core.text import has_control_chars

from . import candidates, identity
from .models import CareTeamMember, IdentityStatus, Patient, PatientIdentifier
from .policy import BREAK_GLASS, EDIT, REGISTER, break_glass_duration, has_permission

# The traits whose change calls for a new duplicate search (candidates.refresh).
COMPARED_TRAITS = {"birth_name", "used_name", "birth_given_names", "first_birth_given_name", "used_given_name",
                   "birth_date", "sex", "birthplace_insee", "ins_matricule"}


@dataclass
class PatientData:
    birth_name: str
    birth_given_names: str
    birth_date: date
    sex: str
    first_birth_given_name: str = ""
    birthplace_insee: str = ""
    used_name: str = ""
    used_given_name: str = ""
    ins_matricule: str = ""
    ins_oid: str = ""
    identity_status: str = IdentityStatus.PROVISIONAL
    gp_id: int | None = None


def _clean(data: PatientData) -> PatientData:
    errors: dict[str, str] = {}
    for name in ("birth_name", "birth_given_names", "first_birth_given_name", "used_name", "used_given_name"):
        value = (getattr(data, name) or "").strip()
        if has_control_chars(value):
            errors[name] = "Ce texte contient des caractères de contrôle non autorisés."
        setattr(data, name, " ".join(value.split()))
    if not data.birth_name:
        errors["birth_name"] = "Le nom de naissance est obligatoire."
    if not data.birth_given_names:
        errors["birth_given_names"] = "Le(s) prénom(s) de naissance sont obligatoires."
    if not data.first_birth_given_name and data.birth_given_names:
        data.first_birth_given_name = data.birth_given_names.split(" ")[0]
    if data.birth_date and data.birth_date > timezone.localdate():
        errors["birth_date"] = "La date de naissance ne peut pas être dans le futur."
    if data.sex not in {"F", "M", "I"}:
        errors["sex"] = "Sexe invalide."
    if data.birthplace_insee and not (len(data.birthplace_insee) == 5 and data.birthplace_insee[:2].isalnum()):
        errors["birthplace_insee"] = "Le code INSEE du lieu de naissance a 5 caractères."
    if data.ins_matricule:
        try:
            data.ins_matricule = identity.clean_ins(data.ins_matricule, data.ins_oid)
        except identity.InvalidINS as exc:
            errors["ins_matricule"] = str(exc)
        else:
            if data.birth_date and not identity.ins_matches_traits(
                data.ins_matricule, sex=data.sex, birth_date=data.birth_date
            ):
                errors["ins_matricule"] = "Le matricule INS ne correspond pas au sexe ou à la date de naissance."
    elif data.identity_status in {IdentityStatus.RETRIEVED, IdentityStatus.QUALIFIED}:
        errors["identity_status"] = "Une identité récupérée ou qualifiée exige un matricule INS (téléservice INSi)."
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def create_patient(
    *, actor, data: PatientData, ipp: str = "", ipp_organisation=None, confirm_not_duplicate: bool = False,
) -> Patient:
    """Create a patient. When traits match existing patients, the caller must have shown them and confirmed:
    otherwise DuplicateCandidates is raised."""
    if not has_permission(actor, REGISTER):
        raise PermissionDenied("Création de patient réservée aux médecins et secrétaires.")
    data = _clean(data)
    if data.ins_matricule and Patient.objects.filter(ins_matricule=data.ins_matricule, ins_oid=data.ins_oid).exists():
        raise ValidationError({"ins_matricule": "Un patient porte déjà ce matricule INS."})
    flags: list[str] = []
    if not confirm_not_duplicate:
        near = identity.duplicate_candidates(
            birth_name=data.birth_name, first_given_name=data.first_birth_given_name,
            birth_date=data.birth_date, sex=data.sex,
        )
        if near:
            raise DuplicateCandidates(near)
    elif identity.duplicate_candidates(
        birth_name=data.birth_name, first_given_name=data.first_birth_given_name,
        birth_date=data.birth_date, sex=data.sex, limit=1,
    ):
        # Created despite a near match: identity vigilance will review it.
        flags.append("DPOT")
    patient = Patient(
        birth_name=data.birth_name, birth_given_names=data.birth_given_names,
        first_birth_given_name=data.first_birth_given_name, birth_date=data.birth_date, sex=data.sex,
        birthplace_insee=data.birthplace_insee, used_name=data.used_name, used_given_name=data.used_given_name,
        ins_matricule=data.ins_matricule, ins_oid=data.ins_oid if data.ins_matricule else "",
        identity_status=data.identity_status, gp_id=data.gp_id, identity_flags=flags, created_by=actor,
    )
    patient.full_clean(exclude=["search_text"])
    patient.save()
    # The full comparison (married names, date typos…) may find what the quick search above did not: flag it.
    found = candidates.refresh(patient)
    flags = patient.identity_flags
    if ipp:
        add_identifier(actor=actor, patient=patient, value=ipp, organisation=ipp_organisation, audit_event=False)
    if actor.practitioner_id:
        # A doctor who creates a patient takes part in their care.
        CareTeamMember.objects.get_or_create(
            patient=patient, practitioner_id=actor.practitioner_id,
            defaults={"role": CareTeamMember.Role.REFERRING},
        )
    audit.record(actor=actor, action=Action.PATIENT_CREATE, patient=patient, obj=patient,
                 details={"identity_status": patient.identity_status, "flags": flags, "ipp": bool(ipp),
                          **({"tier": found[0].tier.value} if found else {})})
    return patient


class DuplicateCandidates(Exception):
    def __init__(self, candidates):
        super().__init__(f"{len(candidates)} candidate(s)")
        self.candidates = candidates


@transaction.atomic
def update_patient(*, actor, patient: Patient, data: PatientData) -> Patient:
    if not has_permission(actor, EDIT, patient):
        raise PermissionDenied
    data = _clean(data)
    before = {f: getattr(patient, f) for f in PatientData.__dataclass_fields__}
    strict_traits = ("birth_name", "birth_given_names", "birth_date", "sex", "birthplace_insee")
    changed = [f for f in PatientData.__dataclass_fields__ if getattr(data, f) != before[f]]
    if patient.identity_status in {IdentityStatus.RETRIEVED, IdentityStatus.QUALIFIED} and any(
        f in strict_traits or f in {"ins_matricule", "ins_oid"} for f in changed
    ):
        raise ValidationError(
            {"birth_name": "Les traits stricts d'une identité récupérée ou qualifiée proviennent de l'INSi : "
                           "ils ne se modifient pas à la main."}
        )
    for f in PatientData.__dataclass_fields__:
        setattr(patient, f, getattr(data, f))
    patient.full_clean(exclude=["search_text"])
    patient.save()
    flagging = {}
    if set(changed) & COMPARED_TRAITS:
        was_flagged = patient.is_potential_duplicate
        # New traits, new candidates: compared again.
        flagging = candidates.flagged_on_update(was_flagged, candidates.refresh(patient))
    audit.record(actor=actor, action=Action.PATIENT_UPDATE, patient=patient, obj=patient,
                 details={"fields": changed, **flagging})
    return patient


@transaction.atomic
def add_identifier(*, actor, patient: Patient, value: str, organisation, audit_event: bool = True) -> PatientIdentifier:
    value = (value or "").strip()
    if not value or has_control_chars(value) or len(value) > 64:
        raise ValidationError({"ipp": "IPP invalide."})
    if organisation is None or not organisation.oid:
        raise ValidationError({"ipp": "L'établissement de l'IPP doit avoir un OID d'autorité d'affectation."})
    existing = PatientIdentifier.objects.filter(system=organisation.oid, value=value).first()
    if existing and existing.patient_id != patient.pk:
        raise ValidationError({"ipp": "Cet IPP est déjà attribué à un autre patient de cet établissement."})
    identifier, _ = PatientIdentifier.objects.get_or_create(
        system=organisation.oid, value=value, defaults={"patient": patient, "organisation": organisation}
    )
    if audit_event:
        audit.record(actor=actor, action=Action.PATIENT_UPDATE, patient=patient, obj=identifier,
                     details={"identifier_added": organisation.oid})
    return identifier


@transaction.atomic
def add_to_care_team(*, actor, patient: Patient, practitioner, role: str = CareTeamMember.Role.SPECIALIST):
    if not has_permission(actor, EDIT, patient):
        raise PermissionDenied
    member, created = CareTeamMember.objects.get_or_create(
        patient=patient, practitioner=practitioner, defaults={"role": role}
    )
    if created:
        audit.record(actor=actor, action=Action.PATIENT_UPDATE, patient=patient, obj=member,
                     details={"care_team_added": practitioner.pk})
    return member


@transaction.atomic
def break_the_glass(*, actor, patient: Patient, reason: str) -> BreakGlassAccess:
    """Open a time-limited access to a patient outside one's relations, with a typed reason (audited, DPO list)."""
    if not has_permission(actor, BREAK_GLASS):
        raise PermissionDenied("Votre rôle ne permet pas l'accès en bris de glace.")
    reason = " ".join((reason or "").split())
    if len(reason) < 15 or has_control_chars(reason):
        raise ValidationError({"reason": "Indiquez la raison de l'accès (au moins 15 caractères)."})
    grant = BreakGlassAccess.objects.create(
        user=actor, patient=patient, reason=reason, expires_at=timezone.now() + break_glass_duration()
    )
    audit.record(actor=actor, action=Action.BREAK_GLASS, patient=patient, obj=grant, reason=reason)
    return grant
