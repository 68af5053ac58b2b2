"""Channel dispatch: a delivery's channel → the function that sends an OutgoingDocument and answers an Outcome.

The MSSanté and DMP channels live in their own modules (`mssante.py`, `dmp.py`) and are imported when first used:
the outbox does not depend on their libraries to load."""

import importlib

from .channels import Outcome, OutgoingDocument
from .models import Delivery


def _dpi(doc: OutgoingDocument, delivery: Delivery) -> Outcome:
    from .dpi import patient_ipp, send_dpi

    receiver = delivery.receiver
    return send_dpi(doc, receiver=receiver, patient_ipp=patient_ipp(doc.document_id, receiver),
                    identity_status=delivery.document.patient.identity_status)


def _mssante(doc: OutgoingDocument, delivery: Delivery) -> Outcome:
    send = _channel("mssante", "send_mssante")
    if send is None:
        return Outcome("error", "Canal MSSanté non disponible dans cette installation.")
    return send(doc, to=delivery.mssante_address, sender=delivery.mssante_sender,
                recipient_label=delivery.recipient_label)


def _dmp(doc: OutgoingDocument, delivery: Delivery) -> Outcome:
    send = _channel("dmp", "send_dmp")
    if send is None:
        return Outcome("error", "Canal DMP non disponible dans cette installation.")
    return send(doc)


def _channel(module: str, function: str):
    name = f"oncodcc.diffusion.{module}"
    try:
        return getattr(importlib.import_module(name), function)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


CHANNELS = {Delivery.Channel.DPI: _dpi, Delivery.Channel.MSSANTE: _mssante, Delivery.Channel.DMP: _dmp}


def send(doc: OutgoingDocument, delivery: Delivery) -> Outcome:
    return CHANNELS[delivery.channel](doc, delivery)
