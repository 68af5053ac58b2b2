"""Writes of the contextual launch: open a launch (jti consumed, doctor found, patient found or created, care
team, audit) in one transaction; record a refusal; register a hospital's key."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from oncodcc.accounts.models import CLINICAL_ROLES, User
from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.actors import SystemActor
from oncodcc.directory.models import Organisation
from oncodcc.patients.inbound import (
    IdentityError,
    IdentityMismatch,
    ProtectedIdentity,
    record_incident,
    resolve,
)
from oncodcc.patients.models import CareTeamMember, Patient

from .models import LaunchKey, UsedLaunchToken
from .refusals import LaunchRefused
from .tokens import LEEWAY_SECONDS, LaunchRequest

logger = logging.getLogger("oncodcc.launch")

# Key registrations are configuration changes, not patient events: their own action name.
KEY_REGISTER = Action.LAUNCH_KEY_REGISTER


@dataclass
class Launched:
    user: User
    patient: Patient
    hospital: Organisation
    intent: str
    matched_by: str
    care_team_added: bool


def hospital_actor(hospital) -> SystemActor:
    return SystemActor(label=f"appel contextuel {hospital}", role="launch", organisation=hospital)


def establishment(organisation: Organisation) -> set[int]:
    """The organisations that count as "this hospital": its legal entity (EJ) and every site (EG) of it.

    A key may be registered for the EJ or for one of its sites; a doctor may be listed in the directory under
    either. A 3C or the DSRC above the EJ does not count: they are not where the doctor treats the patient."""
    entity = organisation
    if organisation.kind == Organisation.Kind.SITE and organisation.parent_id \
            and organisation.parent.kind == Organisation.Kind.LEGAL_ENTITY:
        entity = organisation.parent
    family = {entity.pk, organisation.pk}
    family |= set(Organisation.objects.filter(parent=entity, kind=Organisation.Kind.SITE).values_list("pk", flat=True))
    return family


def find_user(*, rpps: str, hospital: Organisation, refuse) -> User:
    """The active doctor's account of that RPPS who works in that hospital (directory: the practitioner's
    organisations, or the account's own organisation), or `refuse(reason)` raised."""
    user = User.objects.select_related("practitioner").filter(practitioner__rpps=rpps).first()
    if user is None:
        raise refuse("unknown_user")
    if not user.is_active or not user.practitioner.active:
        raise refuse("inactive_user")
    # A hospital's key must never open an administration account: only clinicians are launched.
    if user.is_superuser or user.is_staff or user.role not in CLINICAL_ROLES:
        raise refuse("account_not_allowed")
    family = establishment(hospital)
    if user.organisation_id not in family and not user.practitioner.organisations.filter(pk__in=family).exists():
        raise refuse("user_not_in_hospital")
    return user


@transaction.atomic
def open_launch(*, launch: LaunchRequest) -> Launched:
    """Everything a launch writes, or nothing: the token id, the patient, the care team, the audit events.
    Raises LaunchRefused (the caller records it once this transaction has rolled back)."""
    key = launch.key
    hospital = key.organisation

    def refuse(reason: str, detail: str = "") -> LaunchRefused:
        return LaunchRefused(reason, detail=detail, issuer=launch.issuer, key=key, rpps=launch.rpps)

    _consume(launch, refuse)
    user = find_user(rpps=launch.rpps, hospital=hospital, refuse=refuse)
    system = hospital_actor(hospital)
    try:
        resolution = resolve(actor=system, organisation=hospital, incoming=launch.identity, channel="launch")
    except IdentityMismatch as exc:
        # An INS known with other traits: no IPP, no care team, the record stays closed (inbound's identity proof).
        raise refuse("identity_mismatch") from exc
    except ProtectedIdentity as exc:
        raise refuse("identity_protected") from exc
    except (IdentityError, ValidationError) as exc:
        raise refuse("bad_patient", " ".join(getattr(exc, "messages", [str(exc)]))) from exc
    patient = resolution.patient
    # The hospital attests that this doctor treats the patient: that relation is what opens the record.
    member, added = CareTeamMember.objects.get_or_create(
        patient=patient, practitioner=user.practitioner, defaults={"role": CareTeamMember.Role.SPECIALIST})
    if added:
        audit.record(actor=system, action=Action.PATIENT_UPDATE, patient=patient, obj=member,
                     details={"care_team_added": user.practitioner_id, "channel": "launch",
                              "attested_by": launch.issuer})
    audit.record(actor=user, action=Action.LAUNCH, patient=patient,
                 details={"issuer": launch.issuer, "hospital": hospital.pk, "kid": key.kid, "jti": launch.jti,
                          "intent": launch.intent, "matched_by": resolution.how, "care_team_added": added})
    return Launched(user=user, patient=patient, hospital=hospital, intent=launch.intent,
                    matched_by=resolution.how, care_team_added=added)


def _consume(launch: LaunchRequest, refuse) -> None:
    """Single use: the (issuer, jti) row is inserted in the launch transaction; a second insert is a replay.
    Rows whose token has expired (with the clock leeway) can no longer be replayed anyway: purge them."""
    now = timezone.now()
    UsedLaunchToken.objects.filter(expires_at__lt=now - timedelta(seconds=LEEWAY_SECONDS)).delete()
    try:
        with transaction.atomic():
            UsedLaunchToken.objects.create(issuer=launch.issuer, jti=launch.jti, expires_at=launch.expires_at)
    except IntegrityError as exc:
        raise refuse("replayed") from exc


@transaction.atomic
def record_refusal(*, refusal: LaunchRefused) -> None:
    """Audit a refused launch, in its own transaction (the launch's own has rolled back). Never the token, never
    patient data: the reason code, its detail, the issuer and the RPPS when the signature was valid. An identity
    incident behind the refusal (INS with discordant traits…) is recorded for identity vigilance."""
    record_incident(refusal)
    key = refusal.key
    hospital = key.organisation if key is not None else None
    actor = hospital_actor(hospital) if hospital is not None else SystemActor(
        label="appel contextuel (émetteur non vérifié)", role="launch")
    details = {"reason": refusal.reason, "detail": refusal.detail[:300], "issuer": refusal.issuer[:200],
               "signature_verified": key is not None}
    if key is not None:
        details.update(hospital=hospital.pk, kid=key.kid, rpps=refusal.rpps)
    audit.record(actor=actor, action=Action.LAUNCH_REFUSED, reason=refusal.reason, details=details)
    logger.info("launch refused: reason=%s issuer=%s verified=%s", refusal.reason, refusal.issuer[:200],
                key is not None)


@transaction.atomic
def register_key(*, actor, organisation: Organisation, issuer: str, algorithm: str, public_key: str,
                 kid: str = "") -> LaunchKey:
    """Onboard a hospital's signing key (admin or `dcc launch register-key`). ValidationError (French) when the
    key does not parse or fit, the issuer belongs to another hospital, or the (issuer, kid) pair exists."""
    key = LaunchKey(organisation=organisation, issuer=issuer, algorithm=algorithm, public_key=public_key, kid=kid)
    key.full_clean()
    key.save()
    audit.record(actor=actor, action=KEY_REGISTER, obj=key,
                 details={"organisation": organisation.pk, "issuer": key.issuer, "kid": key.kid,
                          "algorithm": key.algorithm, "sha256": key.fingerprint})
    return key


@transaction.atomic
def deactivate_key(*, actor, key: LaunchKey) -> LaunchKey:
    if key.active:
        key.active = False
        key.save(update_fields=["active"])
        audit.record(actor=actor, action=KEY_REGISTER, obj=key,
                     details={"deactivated": True, "issuer": key.issuer, "kid": key.kid})
    return key
