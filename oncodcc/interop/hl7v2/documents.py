"""Documents in, per the ANS volet "Transmission d'un document CDA-R2 en HL7v2" (v2.1): ORU^R01 (HL7 2.5) with
OBX-11 F new / C replace / D delete, or MDM^T02 new / T10 replace / T04 delete (HL7 2.6).

The CDA is the OBX whose value type (OBX-2) is ED and whose OBX-5 reads `^text^XML^Base64^<data>` (ED: source
application, type of data, data subtype, encoding, data). The "MetaDMPMSS" OBX rows (DMP / MSSanté flags, mail body)
are not documents: they are ignored (and kept in the message log). An ORU may carry several CDA (the same report as
level 1 and level 3, outside Ségur): each is filed, all in the message's transaction."""

import base64
import binascii
from dataclasses import replace

from django.conf import settings

from oncodcc.documents import received

from . import ack, pid
from .processing import Context, Outcome, register

OBX_ACTIONS = {"F": received.NEW, "C": received.REPLACE, "D": received.DELETE}
MDM_ACTIONS = {"T02": received.NEW, "T10": received.REPLACE, "T04": received.DELETE}
META_CODING_SYSTEM = "METADMPMSS"


def _cda_rows(context: Context) -> list[tuple[int, object]]:
    rows = []
    for number, obx in enumerate(context.message.all("OBX"), start=1):
        if obx.get(2).strip().upper() != "ED" or obx.get(3, 3).strip().upper() == META_CODING_SYSTEM:
            continue
        if obx.get(5, 3).strip().upper() == "XML":
            rows.append((number, obx))
    if not rows:
        raise ack.error(ack.REQUIRED_FIELD_MISSING,
                        "Aucun document CDA dans le message (OBX de type ED, sous-type XML, encodé en Base64).",
                        segment="OBX", field=5)
    return rows


def _content(number: int, obx) -> bytes:
    encoding = obx.get(5, 4).strip().upper()
    if encoding != "BASE64":
        raise ack.error(ack.DATA_TYPE_ERROR, f"Encodage du document non pris en charge (OBX-5.4) : "
                        f"{encoding or '(vide)'} ; Base64 attendu.", segment="OBX", field=5, sequence=number)
    data = "".join(obx.get(5, 5).split())
    limit = settings.INBOUND_DOCUMENT_MAX_BYTES
    if len(data) * 3 // 4 > limit:
        raise ack.error(ack.DATA_TYPE_ERROR, f"Document trop volumineux (plus de {limit // (1024 * 1024)} Mo).",
                        segment="OBX", field=5, sequence=number)
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ack.error(ack.DATA_TYPE_ERROR, "Document illisible : le contenu Base64 de OBX-5 est invalide.",
                        segment="OBX", field=5, sequence=number) from None
    if not content:
        raise ack.error(ack.REQUIRED_FIELD_MISSING, "Document vide (OBX-5).", segment="OBX", field=5,
                        sequence=number)
    return content


def _file(context: Context, actions: list[tuple[int, object, str]]) -> Outcome:
    segment = context.message.first("PID")
    if segment is None:
        raise ack.error(ack.SEGMENT_SEQUENCE, "Segment PID absent.", segment="PID")
    identity = pid.incoming(segment, context.organisation.oid)
    outcome = Outcome()
    for number, obx, action in actions:
        content = _content(number, obx)
        try:
            filed = received.file_cda(actor=context.actor, organisation=context.organisation, content=content,
                                      action=action, channel="hl7", identity=_copy(identity))
        except received.DocumentRefused as exc:
            code = {"not-found": ack.UNKNOWN_KEY, "conflict": ack.DUPLICATE_KEY}.get(exc.code, ack.DATA_TYPE_ERROR)
            raise ack.error(code, str(exc), segment="OBX", field=5, sequence=number) from exc
        outcome.patient_id = outcome.patient_id or filed.document.patient_id
        outcome.document_id = outcome.document_id or filed.document.pk
    return outcome


def _copy(identity):
    # file_cda completes the identity from the CDA recordTarget: each document starts from the PID alone.
    return replace(identity, extra=dict(identity.extra))


@register("ORU", "R01")
def observation_result(context: Context) -> Outcome:
    actions = []
    for number, obx in _cda_rows(context):
        status = obx.get(11).strip().upper()
        if status not in OBX_ACTIONS:
            raise ack.error(ack.TABLE_VALUE_NOT_FOUND, f"Statut du résultat (OBX-11) non pris en charge : "
                            f"{status or '(vide)'} ; F, C ou D attendu.", segment="OBX", field=11, sequence=number)
        actions.append((number, obx, OBX_ACTIONS[status]))
    return _file(context, actions)


@register("MDM", "T02", "T10", "T04")
def document_management(context: Context) -> Outcome:
    action = MDM_ACTIONS[context.message.header.trigger_event]
    return _file(context, [(number, obx, action) for number, obx in _cda_rows(context)])
