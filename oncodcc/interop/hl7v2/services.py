"""Writes of the HL7 channel outside message processing: registering a sender (onboarding a hospital) and
replaying a logged message."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.text import has_control_chars
from oncodcc.directory.models import Organisation, finess_validator, oid_validator

from . import channel, processing
from .models import Hl7Message, Hl7Sender

# Audit action of this channel (not patient data: never in a patient's access history).
SENDER_REGISTER = Action.HL7_SENDER_REGISTER


class SenderError(ValueError):
    """Registration refused: French reason."""


@dataclass
class Registration:
    sender: Hl7Sender
    organisation_created: bool
    sender_status: str  # "created" | "reactivated" | "updated" | "unchanged"


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


def _authentication(cert_fingerprint: str | None, cert_subject: str | None,
                    allowed_networks: list[str] | None) -> dict:
    """The authentication options given (None: not given, left as they are), validated and normalised."""
    values = {}
    try:
        if cert_fingerprint is not None:
            values["cert_fingerprint"] = channel.normalize_fingerprint(cert_fingerprint)
        if cert_subject is not None:
            channel.parse_subject(cert_subject)
            values["cert_subject"] = cert_subject.strip()
            if len(values["cert_subject"]) > 300:
                raise ValueError("Sujet de certificat trop long (300 caractères au plus).")
        if allowed_networks is not None:
            values["allowed_networks"] = channel.format_networks(channel.parse_networks(" ".join(allowed_networks)))
    except ValueError as exc:
        raise SenderError(str(exc)) from None
    return values


@transaction.atomic
def register_sender(*, actor, application: str, facility: str, oid: str, name: str = "", finess: str = "",
                    cert_fingerprint: str | None = None, cert_subject: str | None = None,
                    allowed_networks: list[str] | None = None) -> Registration:
    """Register (or reactivate) the sender APP/FAC for the organisation with this OID, created as a site (EG)
    when no organisation has that OID; set how it authenticates (channel.py) when those options are given (None
    leaves them as they are, "" or [] clears them). Raises SenderError."""
    application = _check(application, "Application émettrice (MSH-3)", 100)
    facility = _check(facility, "Établissement émetteur (MSH-4)", 100)
    authentication = _authentication(cert_fingerprint, cert_subject, allowed_networks)
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
    changed = []
    if sender is None:
        sender = Hl7Sender.objects.create(application=application, facility=facility, organisation=organisation,
                                          **authentication)
        status, changed = "created", sorted(name for name, value in authentication.items() if value)
    elif sender.organisation_id != organisation.pk:
        raise SenderError(f"L'émetteur {sender} est déjà enregistré pour « {sender.organisation} » "
                          f"(OID {sender.organisation.oid}).")
    else:
        changed = sorted(name for name, value in authentication.items() if getattr(sender, name) != value)
        status = "reactivated" if not sender.active else "updated" if changed else "unchanged"
        for name in changed:
            setattr(sender, name, authentication[name])
        if status != "unchanged":
            sender.active = True
            sender.save(update_fields=["active", *changed])
    audit.record(actor=actor, action=SENDER_REGISTER, obj=sender,
                 details={"sender": str(sender), "organisation": organisation.pk, "organisation_created": created,
                          "status": status, "authentication": changed})
    return Registration(sender, created, status)


class ReplayRefused(ValueError):
    """The logged message cannot be replayed: French reason."""


@transaction.atomic
def replay(*, actor, message: Hl7Message) -> Hl7Message:
    """Process the stored raw bytes again (dedupe bypassed) as a NEW log row pointing to the original. The new
    row's own processing is one inner transaction: a failure is recorded on it, like for any message. A row that
    does not hold the whole message (refused before processing: header only; truncated) raises ReplayRefused."""
    if len(bytes(message.raw or b"")) != message.size:
        raise ReplayRefused(f"Message n° {message.pk} non rejouable : le journal n'en conserve que l'en-tête "
                            f"({message.size} octets reçus, refusé avant traitement ou trop volumineux) ; "
                            "demandez à l'établissement de le renvoyer.")
    new = processing.receive(bytes(message.raw), peer="rejeu", replay_of=message)
    audit.record(actor=actor, action=Action.HL7_REPLAY, patient_id=new.patient_id or message.patient_id, obj=new,
                 details={"original": message.pk, "replay": new.pk, "state": new.state, "ack_code": new.ack_code})
    return new
