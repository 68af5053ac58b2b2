"""Writes of the HL7 channel outside message processing: registering a sender (onboarding a hospital) and
replaying a logged message."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.text import has_control_chars
from oncodcc.directory.models import Organisation, finess_validator, oid_validator

from . import processing
from .models import Hl7Message, Hl7Sender

# Audit action of this channel (not patient data: never in a patient's access history).
SENDER_REGISTER = Action.HL7_SENDER_REGISTER


class SenderError(ValueError):
    """Registration refused: French reason."""


@dataclass
class Registration:
    sender: Hl7Sender
    organisation_created: bool
    sender_status: str  # "created" | "reactivated" | "unchanged"


def finess_key_ok(finess: str) -> bool:
    """The 9th character of a FINESS is a Luhn key over the first eight (Corsican numbers, 2A/2B, are not
    checked: the key rule for their letter is not published)."""
    if not finess.isdigit():
        return True
    total = 0
    for position, char in enumerate(reversed(finess)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def _check(value: str, label: str, limit: int) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit or has_control_chars(value):
        raise SenderError(f"{label} obligatoire ({limit} caractères au plus).")
    return value


@transaction.atomic
def register_sender(*, actor, application: str, facility: str, oid: str, name: str = "",
                    finess: str = "") -> Registration:
    """Register (or reactivate) the sender APP/FAC for the organisation with this OID, created as a site (EG)
    when no organisation has that OID. Raises SenderError."""
    application = _check(application, "Application émettrice (MSH-3)", 100)
    facility = _check(facility, "Établissement émetteur (MSH-4)", 100)
    oid, finess = (oid or "").strip(), (finess or "").strip().upper()
    try:
        oid_validator(oid)
    except ValidationError:
        raise SenderError(f"OID invalide : {oid or '(vide)'} (chiffres séparés par des points, "
                          "p. ex. 1.2.250.1.71.4.2.2.750712184).") from None
    if finess:
        try:
            finess_validator(finess)
        except ValidationError:
            raise SenderError(f"FINESS invalide : {finess} (9 caractères, p. ex. 750712184).") from None
        if not finess_key_ok(finess):
            raise SenderError(f"FINESS invalide : {finess} (clé de contrôle fausse).")
    organisation = Organisation.objects.filter(oid=oid).order_by("pk").first()
    created = False
    if organisation is None:
        name = " ".join((name or "").split())
        if not name or len(name) > 200 or has_control_chars(name):
            raise SenderError("Aucune organisation n'a cet OID : son nom (--name) est obligatoire pour la créer.")
        if finess:
            holder = Organisation.objects.filter(finess=finess).first()
            if holder is not None:
                raise SenderError(f"Le FINESS {finess} appartient déjà à « {holder} » "
                                  f"(OID {holder.oid or 'aucun'}) : indiquez l'OID de cette organisation.")
        organisation = Organisation.objects.create(kind=Organisation.Kind.SITE, name=name, finess=finess, oid=oid)
        created = True
    sender = Hl7Sender.objects.select_for_update().filter(application=application, facility=facility).first()
    if sender is None:
        sender = Hl7Sender.objects.create(application=application, facility=facility, organisation=organisation)
        status = "created"
    elif sender.organisation_id != organisation.pk:
        raise SenderError(f"L'émetteur {sender} est déjà enregistré pour « {sender.organisation} » "
                          f"(OID {sender.organisation.oid}).")
    elif not sender.active:
        sender.active = True
        sender.save(update_fields=["active"])
        status = "reactivated"
    else:
        status = "unchanged"
    audit.record(actor=actor, action=SENDER_REGISTER, obj=sender,
                 details={"sender": str(sender), "organisation": organisation.pk, "organisation_created": created,
                          "status": status})
    return Registration(sender, created, status)


@transaction.atomic
def replay(*, actor, message: Hl7Message) -> Hl7Message:
    """Process the stored raw bytes again (dedupe bypassed) as a NEW log row pointing to the original. The new
    row's own processing is one inner transaction: a failure is recorded on it, like for any message."""
    new = processing.receive(bytes(message.raw), peer="rejeu", replay_of=message)
    audit.record(actor=actor, action=Action.HL7_REPLAY, patient_id=new.patient_id or message.patient_id, obj=new,
                 details={"original": message.pk, "replay": new.pk, "state": new.state, "ack_code": new.ack_code})
    return new
