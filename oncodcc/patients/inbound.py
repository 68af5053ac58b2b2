"""Identities received from hospital systems (HL7 PAM.fr, FHIR Patient, contextual launch): one set of matching
rules for every channel.

Matching: by the sending hospital's IPP, then by INS. A match on traits alone never attaches automatically: the
patient is created and flagged DPOT ("doublon potentiel") for the identity vigilance worklist.

Identity proof: an INS is not a key. A match by INS (the sender's IPP is not known yet) attaches the sender's IPP —
which opens the record to that hospital — only when the incoming strict traits agree with the record's (birth
name, first given name, birth date, sex). Discordant traits: `IdentityMismatch`, nothing is attached and the channel
refuses; the incoming identity is set aside for identity vigilance (`IdentityIncident.record`, after the channel's
transaction has rolled back). Incomplete traits are only accepted from a hospital that already knows the patient.

The hospital is the source of its identities, but the strict traits of a retrieved (RECUP) or qualified (QUAL)
identity change only from a source at least as trusted (a QUAL one only from QUAL): otherwise `ProtectedIdentity`
refuses the whole update."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.text import has_control_chars

from . import candidates, identity
from .incidents import (
    DOUBTFUL,
    POTENTIAL_DUPLICATE,
    IdentityError,
    IdentityIncident,
    IdentityMismatch,
    ProtectedIdentity,
    incidents_recorded,
    record_incident,
)
from .models import INS_OIDS_PRODUCTION, INS_OIDS_TEST, IdentityStatus, Patient, PatientIdentifier

__all__ = ["POTENTIAL_DUPLICATE", "IdentityError", "IdentityIncident", "IdentityMismatch", "IncomingIdentity",
           "ProtectedIdentity", "Resolution", "find_patient", "incidents_recorded", "record_incident", "resolve"]
INS_OIDS = INS_OIDS_PRODUCTION | INS_OIDS_TEST
STRICT_TRAITS = ("birth_name", "birth_given_names", "first_birth_given_name", "birth_date", "sex", "birthplace_insee")
# The traits whose change calls for a new duplicate search (candidates.refresh).
COMPARED_TRAITS = {*STRICT_TRAITS, "used_name", "used_given_name", "ins_matricule"}
# The traits an INS match must agree on before a hospital gets the record (issue #9).
PROOF_TRAITS = ("birth_name", "first_birth_given_name", "birth_date", "sex")
# Strict traits of a RECUP identity come from the INSi teleservice, the national reference: a VALI source (checked
# against an identity document, without INSi) is less trusted for them; QUAL is both.
TRUST = {IdentityStatus.PROVISIONAL: 0, IdentityStatus.VALIDATED: 1, IdentityStatus.RETRIEVED: 2,
         IdentityStatus.QUALIFIED: 3}
VERIFIED = {IdentityStatus.RETRIEVED, IdentityStatus.QUALIFIED}
# Why an incoming INS was set aside (audit details, IncomingIdentity.ins_set_aside).
INS_INVALID_KEY = "invalid_key"
INS_INCOHERENT = "incoherent_traits"


@dataclass
class IncomingIdentity:
    """What a hospital system says about a patient. `ipp` is the sender's own identifier (its OID is the
    organisation's); INS is optional; traits are needed to create a patient."""

    ipp: str = ""
    ins_matricule: str = ""
    ins_oid: str = ""
    birth_name: str = ""
    birth_given_names: str = ""
    first_birth_given_name: str = ""
    used_name: str = ""
    used_given_name: str = ""
    birth_date: date | None = None
    sex: str = ""
    birthplace_insee: str = ""
    identity_status: str = ""
    deceased_date: date | None = None
    extra: dict = field(default_factory=dict)
    # Set by cleaned(): why the INS was set aside (INS_INVALID_KEY, INS_INCOHERENT) and the warnings for the sender.
    ins_set_aside: str = ""
    warnings: list[str] = field(default_factory=list)

    def cleaned(self) -> "IncomingIdentity":
        data = replace(self)
        for name in ("ipp", "birth_name", "birth_given_names", "first_birth_given_name", "used_name",
                     "used_given_name", "birthplace_insee", "ins_matricule", "ins_oid"):
            value = " ".join((getattr(data, name) or "").split())
            if has_control_chars(value):
                raise IdentityError(f"Caractères de contrôle interdits dans {name}.")
            setattr(data, name, value)
        if len(data.ipp) > 64:
            raise IdentityError("IPP trop long (64 caractères au plus).")
        if not data.first_birth_given_name and data.birth_given_names:
            data.first_birth_given_name = data.birth_given_names.split(" ")[0]
        if data.birth_given_names == "" and data.first_birth_given_name:
            data.birth_given_names = data.first_birth_given_name
        if data.sex and data.sex not in {"F", "M", "I"}:
            raise IdentityError(f"Sexe inconnu : {data.sex}.")
        if data.identity_status and data.identity_status not in IdentityStatus.values:
            data.identity_status = ""
        if data.ins_matricule:
            if data.ins_oid not in INS_OIDS:
                raise IdentityError(f"OID d'INS non reconnu : {data.ins_oid or '(vide)'}.")
            try:
                data.ins_matricule = identity.clean_ins(data.ins_matricule, data.ins_oid)
            except identity.InvalidINSKey as exc:
                data._set_ins_aside(INS_INVALID_KEY, str(exc))
            except identity.InvalidINS as exc:  # an authority not accepted here: a configuration to fix
                raise IdentityError(str(exc)) from exc
            else:
                if data.birth_date and data.sex and not identity.ins_matches_traits(
                    data.ins_matricule, sex=data.sex, birth_date=data.birth_date
                ):
                    data._set_ins_aside(INS_INCOHERENT,
                                        "Le matricule INS ne correspond pas au sexe ou à la date de naissance.")
        if data.identity_status in {IdentityStatus.RETRIEVED, IdentityStatus.QUALIFIED} and not data.ins_matricule:
            # A RECUP/QUAL status without its INS cannot be trusted here: keep the identity provisional.
            data.identity_status = IdentityStatus.PROVISIONAL
        return data

    def _set_ins_aside(self, code: str, reason: str) -> None:
        """Refuse less, file more: an INS that fails its key or its coherence with the traits is not kept, but
        the identity (and the report that came with it) is filed, flagged for identity vigilance; the sender is
        told why in a warning."""
        self.ins_matricule, self.ins_oid, self.ins_set_aside = "", "", code
        self.warnings = [*self.warnings, f"{reason} L'identité est enregistrée sans ce matricule INS (mis de côté "
                                         "pour la cellule d'identitovigilance) ; vérifiez-le (téléservice INSi)."]

    @property
    def set_aside_flags(self) -> list[str]:
        """The flags of a record filed with its INS set aside: doubtful, and on the vigilance worklist."""
        return [POTENTIAL_DUPLICATE, DOUBTFUL] if self.ins_set_aside else []

    def creatable_problems(self) -> list[str]:
        missing = []
        if not self.birth_name:
            missing.append("nom de naissance")
        if not self.birth_given_names:
            missing.append("prénom(s)")
        if not self.birth_date:
            missing.append("date de naissance")
        if not self.sex:
            missing.append("sexe")
        return missing


@dataclass
class Resolution:
    patient: Patient
    how: str  # "ipp" | "ins" | "created" | "created_dpot"
    updated_fields: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # French, for the sender (ACK ERR severity W, OperationOutcome)

    @property
    def created(self) -> bool:
        return self.how.startswith("created")


def _survivor(patient: Patient) -> Patient:
    seen = set()
    while patient.merged_into_id and patient.pk not in seen:
        seen.add(patient.pk)
        patient = patient.merged_into
    return patient


def find_patient(*, organisation, incoming: IncomingIdentity) -> tuple[Patient | None, str]:
    """The patient designated by the sender's IPP, else by INS (never by traits). Follows merges."""
    if incoming.ipp and organisation is not None and organisation.oid:
        identifier = PatientIdentifier.objects.select_related("patient").filter(
            system=organisation.oid, value=incoming.ipp).first()
        if identifier is not None:
            patient = _survivor(identifier.patient)
            if incoming.ins_matricule and patient.ins_matricule and (
                patient.ins_matricule, patient.ins_oid) != (incoming.ins_matricule, incoming.ins_oid):
                raise IdentityError(
                    "Collision d'identité : l'INS reçu diffère de celui du patient connu sous cet IPP.")
            return patient, "ipp"
    if incoming.ins_matricule:
        patient = Patient.objects.filter(ins_matricule=incoming.ins_matricule, ins_oid=incoming.ins_oid).first()
        if patient is not None:
            return _survivor(patient), "ins"
    return None, ""


@transaction.atomic
def resolve(*, actor, organisation, incoming: IncomingIdentity, create: bool = True, update: bool = True,
            channel: str) -> Resolution:
    """Find (IPP, then INS) or create the patient; attach the sender's IPP; apply the sender's traits.

    Raises IdentityError (French) when the identity cannot be filed; Patient.DoesNotExist when `create` is False
    and nobody matches."""
    incoming = incoming.cleaned()
    patient, how = find_patient(organisation=organisation, incoming=incoming)
    if patient is None:
        if not create:
            raise Patient.DoesNotExist("Patient inconnu (ni l'IPP ni l'INS ne sont connus du DCC).")
        patient, how = _create(actor=actor, organisation=organisation, incoming=incoming, channel=channel)
        return _warned(Resolution(patient, how, warnings=incoming.warnings))
    if how == "ins":
        _prove(patient, incoming, actor=actor, organisation=organisation, channel=channel)
    if update:
        _protect(patient, incoming, actor=actor, organisation=organisation, channel=channel)
    changed = _apply(patient, incoming) if update else []
    if incoming.ipp:
        _attach_ipp(patient, organisation, incoming.ipp)
    if incoming.ins_set_aside:
        missing = [flag for flag in incoming.set_aside_flags if flag not in (patient.identity_flags or [])]
        if missing:
            patient.identity_flags = [*(patient.identity_flags or []), *missing]
            patient.save(update_fields=["identity_flags"])
            changed.append("identity_flags")
    flagging = {}
    if set(changed) & COMPARED_TRAITS:
        was_flagged = POTENTIAL_DUPLICATE in (patient.identity_flags or [])
        # New traits, new candidates (both directions: the search is symmetric).
        flagging = candidates.flagged_on_update(was_flagged, candidates.refresh(patient))
    if changed or how == "ins" or incoming.ins_set_aside:
        details = {"channel": channel, "matched_by": how, "fields": changed, **flagging}
        if incoming.ins_set_aside:
            details["ins_set_aside"] = incoming.ins_set_aside
        audit.record(actor=actor, action=Action.PATIENT_UPDATE, patient=patient, obj=patient, details=details)
    return _warned(Resolution(patient, how, changed, warnings=incoming.warnings))


# --- warnings for the sender -------------------------------------------------------------------------------------

_warnings: ContextVar[list[str] | None] = ContextVar("inbound_warnings", default=None)


@contextmanager
def warnings_collected() -> Iterator[list[str]]:
    """`with warnings_collected() as warnings:` — the warnings of every identity resolved inside (a channel's
    message may carry several), for the channel's answer (HL7 ERR severity W, FHIR OperationOutcome)."""
    collected: list[str] = []
    token = _warnings.set(collected)
    try:
        yield collected
    finally:
        _warnings.reset(token)


def _warned(resolution: Resolution) -> Resolution:
    collected = _warnings.get()
    if collected is not None:
        collected.extend(w for w in resolution.warnings if w not in collected)
    return resolution


def _discordant(patient: Patient, incoming: IncomingIdentity) -> list[str]:
    """The proof traits the incoming identity gives and that differ from the record's (names compared without
    accents, case, hyphens, apostrophes or spaces)."""
    fields = []
    for name in PROOF_TRAITS:
        value, known = getattr(incoming, name), getattr(patient, name)
        if not value:
            continue
        if _differs(value, known):
            fields.append(name)
    return fields


def _differs(value, known) -> bool:
    if isinstance(value, str):
        return identity.proof_text(value) != identity.proof_text(known or "")
    return value != known


def _known_to(patient: Patient, organisation) -> bool:
    """The sender already holds the record: one of its IPPs, or a document it sent (what opens it to it)."""
    if organisation is None:
        return False
    if organisation.oid and patient.identifiers.filter(system=organisation.oid).exists():
        return True
    return apps.get_model("documents", "Document").objects.filter(patient=patient, sender=organisation).exists()


def _prove(patient: Patient, incoming: IncomingIdentity, *, actor, organisation, channel: str) -> None:
    """An INS match must be proven by the strict traits before the sender gets the record."""
    discordant = _discordant(patient, incoming)
    if discordant:
        raise IdentityMismatch(
            "Identité refusée : l'INS reçu est connu du DCC avec des traits d'identité différents (nom de "
            "naissance, premier prénom, date de naissance ou sexe). Rien n'a été enregistré ; l'identité reçue est "
            "transmise à la cellule d'identitovigilance du DSRC. Vérifiez l'identité (téléservice INSi) avant de "
            "renvoyer.", actor=actor, organisation=organisation, channel=channel, patient=patient,
            incoming=incoming, fields=discordant)
    missing = [name for name in PROOF_TRAITS if not getattr(incoming, name)]
    if missing and not _known_to(patient, organisation):
        raise IdentityError(
            "Patient désigné par son seul INS : le nom de naissance, le premier prénom, la date de naissance et le "
            "sexe sont requis pour le rapprocher du dossier (preuve d'identité).")


def _protect(patient: Patient, incoming: IncomingIdentity, *, actor, organisation, channel: str) -> None:
    """Strict traits of a RECUP/QUAL identity change only from a source at least as trusted."""
    if patient.identity_status not in VERIFIED or _trust(incoming.identity_status) >= _trust(patient.identity_status):
        return
    # The same trait written differently (case, accents, hyphens) is no change: the record's form is kept.
    refused = [name for name in STRICT_TRAITS if getattr(incoming, name) and _differs(getattr(incoming, name),
                                                                                     getattr(patient, name))]
    if refused:
        label = "qualifiée" if patient.identity_status == IdentityStatus.QUALIFIED else "récupérée (INSi)"
        source = "qualifiée (QUAL)" if patient.identity_status == IdentityStatus.QUALIFIED else \
            "récupérée ou qualifiée (RECUP, QUAL)"
        raise ProtectedIdentity(
            f"Mise à jour refusée : l'identité est {label} dans le DCC ; ses traits stricts ne changent que sur une "
            f"identité {source}. Rien n'a été enregistré ; vérifiez l'identité (téléservice INSi) avant de "
            f"renvoyer.", actor=actor, organisation=organisation, channel=channel, patient=patient,
            incoming=incoming, fields=refused)


def _trust(status: str) -> int:
    return TRUST.get(status or IdentityStatus.PROVISIONAL, 0)


def _create(*, actor, organisation, incoming: IncomingIdentity, channel: str) -> tuple[Patient, str]:
    missing = incoming.creatable_problems()
    if missing:
        raise IdentityError("Patient inconnu et identité incomplète pour le créer : " + ", ".join(missing) + ".")
    flags = list(incoming.set_aside_flags)
    patient = Patient(
        birth_name=incoming.birth_name, birth_given_names=incoming.birth_given_names,
        first_birth_given_name=incoming.first_birth_given_name, birth_date=incoming.birth_date, sex=incoming.sex,
        birthplace_insee=incoming.birthplace_insee, used_name=incoming.used_name,
        used_given_name=incoming.used_given_name, ins_matricule=incoming.ins_matricule,
        ins_oid=incoming.ins_oid if incoming.ins_matricule else "",
        identity_status=incoming.identity_status or IdentityStatus.PROVISIONAL, identity_flags=flags,
        deceased_date=incoming.deceased_date,
    )
    try:
        # Field checks only: uniqueness (INS) was settled by find_patient and is enforced by the database anyway;
        # validate_constraints would cost one query per constraint on every message of a busy feed.
        patient.full_clean(exclude=["search_text", "gp", "created_by"], validate_unique=False,
                           validate_constraints=False)
    except ValidationError as exc:
        raise IdentityError(_validation_text(exc)) from exc
    patient.save()
    # A match on traits never attaches: the record is created and, with a candidate, flagged DPOT.
    found = candidates.refresh(patient, new=True)
    flags = patient.identity_flags
    if incoming.ipp:
        _attach_ipp(patient, organisation, incoming.ipp, unknown=organisation is not None and bool(organisation.oid))
    details = {"channel": channel, "identity_status": patient.identity_status, "flags": flags,
               "ipp": bool(incoming.ipp)}
    if incoming.ins_set_aside:
        details["ins_set_aside"] = incoming.ins_set_aside
    if found:  # the best candidate's tier, for the infocentre's indicators (twin/homonym pairs met)
        details["tier"] = found[0].tier.value
    audit.record(actor=actor, action=Action.PATIENT_CREATE, patient=patient, obj=patient, details=details)
    return patient, "created_dpot" if POTENTIAL_DUPLICATE in flags else "created"


def _validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(f"{k} : {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


def _apply(patient: Patient, incoming: IncomingIdentity) -> list[str]:
    """Apply the sender's traits. A verified identity's strict traits follow only a source at least as trusted
    (`_protect` has refused a real change from a less trusted one; what is left are the same traits written
    differently, and the record keeps its form); used names and the death date always follow the hospital."""
    current_trust = _trust(patient.identity_status)
    incoming_trust = _trust(incoming.identity_status)
    may_replace_strict = patient.identity_status not in VERIFIED or incoming_trust >= current_trust
    changed = []
    for name in STRICT_TRAITS:
        value = getattr(incoming, name)
        if value and may_replace_strict and value != getattr(patient, name):
            setattr(patient, name, value)
            changed.append(name)
    for name in ("used_name", "used_given_name", "deceased_date"):
        value = getattr(incoming, name)
        if value and value != getattr(patient, name):
            setattr(patient, name, value)
            changed.append(name)
    if incoming.ins_matricule and not patient.ins_matricule:
        other = Patient.objects.filter(ins_matricule=incoming.ins_matricule, ins_oid=incoming.ins_oid).exclude(
            pk=patient.pk).exists()
        if other:
            # The same INS on two records: identity vigilance decides; never merge silently.
            if POTENTIAL_DUPLICATE not in patient.identity_flags:
                patient.identity_flags = [*patient.identity_flags, POTENTIAL_DUPLICATE]
                changed.append("identity_flags")
        else:
            patient.ins_matricule, patient.ins_oid = incoming.ins_matricule, incoming.ins_oid
            changed += ["ins_matricule", "ins_oid"]
    # A RECUP/QUAL status only stands with an INS on the record.
    status_allowed = incoming.identity_status not in {IdentityStatus.RETRIEVED, IdentityStatus.QUALIFIED} or bool(
        patient.ins_matricule)
    if (incoming.identity_status and incoming_trust >= current_trust and status_allowed
            and incoming.identity_status != patient.identity_status):
        patient.identity_status = incoming.identity_status
        changed.append("identity_status")
    if changed:
        try:
            patient.full_clean(exclude=["search_text", "gp", "created_by", "merged_into"], validate_unique=False,
                               validate_constraints=False)
        except ValidationError as exc:
            raise IdentityError(_validation_text(exc)) from exc
        patient.save()
    return changed


def _attach_ipp(patient: Patient, organisation, ipp: str, *, unknown: bool = False) -> None:
    """`unknown`: find_patient has just looked this IPP up in this transaction and found nobody (a creation):
    the second look-up is saved; the unique constraint on (system, value) still guards the table."""
    if organisation is None or not organisation.oid:
        raise IdentityError("L'établissement émetteur n'a pas d'OID d'autorité d'affectation des IPP.")
    existing = None if unknown else PatientIdentifier.objects.filter(system=organisation.oid, value=ipp).first()
    if existing is None:
        PatientIdentifier.objects.create(patient=patient, system=organisation.oid, value=ipp, organisation=organisation)
    elif existing.patient_id != patient.pk and _survivor(existing.patient).pk != patient.pk:
        raise IdentityError("Cet IPP est déjà attribué à un autre patient de cet établissement.")


@transaction.atomic
def change_identifier(*, actor, organisation, old_ipp: str, new_ipp: str, channel: str) -> Patient:
    """PAM A47: the hospital renumbers a patient (old IPP → new IPP)."""
    old_ipp, new_ipp = old_ipp.strip(), new_ipp.strip()
    if not old_ipp or not new_ipp or has_control_chars(old_ipp + new_ipp) or len(new_ipp) > 64:
        raise IdentityError("Ancien et nouvel IPP obligatoires.")
    identifier = PatientIdentifier.objects.select_for_update().filter(system=organisation.oid, value=old_ipp).first()
    if identifier is None:
        raise Patient.DoesNotExist(f"IPP inconnu : {old_ipp}.")
    clash = PatientIdentifier.objects.filter(system=organisation.oid, value=new_ipp).exclude(pk=identifier.pk).first()
    if clash is not None:
        raise IdentityError("Le nouvel IPP est déjà attribué à un autre patient : fusion (A40) attendue.")
    identifier.value = new_ipp
    identifier.save(update_fields=["value"])
    audit.record(actor=actor, action=Action.PATIENT_UPDATE, patient=identifier.patient, obj=identifier,
                 details={"channel": channel, "identifier_changed": organisation.oid})
    return identifier.patient

