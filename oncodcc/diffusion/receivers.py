"""Registering a hospital's DPI receiver (`dcc hl7 register-receiver`, the demo region), audited."""

from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.directory.models import Organisation

from .models import Receiver


class ReceiverError(ValueError):
    """French reason, shown by the command."""


@dataclass
class Registered:
    receiver: Receiver
    created: bool


@transaction.atomic
def register_receiver(*, actor, finess: str, host: str, port: int, message_type: str = "oru", tls: bool = False,
                      ca: str = "", cert: str = "", key: str = "", application: str = "",
                      facility: str = "") -> Registered:
    organisation = Organisation.objects.filter(finess=finess.strip()).first() if finess.strip() else None
    if organisation is None:
        raise ReceiverError(f"Aucun établissement de FINESS {finess or '(vide)'} dans l'annuaire.")
    if not (0 < port < 65536):
        raise ReceiverError("Port invalide (1 à 65535).")
    if message_type not in Receiver.MessageType.values:
        raise ReceiverError("Message : oru ou mdm.")
    if not tls and (ca or cert or key):
        raise ReceiverError("--ca, --cert et --key vont avec --tls.")
    for label, path in (("--ca", ca), ("--cert", cert), ("--key", key)):
        if path and not Path(path).is_file():
            raise ReceiverError(f"{label} : fichier introuvable ({path}).")
    receiver = Receiver.objects.select_for_update().filter(organisation=organisation).first()
    created = receiver is None
    receiver = receiver or Receiver(organisation=organisation)
    receiver.host, receiver.port, receiver.message_type, receiver.tls = host.strip(), port, message_type, tls
    receiver.tls_ca, receiver.tls_cert, receiver.tls_key = (ca, cert, key) if tls else ("", "", "")
    if application:
        receiver.application = application
    if facility:
        receiver.facility = facility
    receiver.active = True
    try:
        receiver.full_clean()
    except ValidationError as exc:
        raise ReceiverError(" ; ".join(m for ms in exc.message_dict.values() for m in ms)) from exc
    receiver.save()
    audit.record(actor=actor, action=Action.HL7_RECEIVER_REGISTER, obj=receiver,
                 details={"organisation": organisation.pk, "host": receiver.host, "port": port, "tls": tls,
                          "message": message_type, "created": created})
    return Registered(receiver, created)
