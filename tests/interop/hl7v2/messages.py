"""Synthetic HL7 v2 messages shaped like the ANS examples (ansforge/hl7V2-exemples: PAM.fr admission, volet
"Transmission d'un document CDA-R2 en HL7v2" ORU and MDM), with invented identities only."""

import base64
import itertools
from datetime import date

import hl7

from oncodcc.patients.models import OID_INS_NIR

APP, FACILITY = "DPI", "CHU-TEST"
_control = itertools.count(1)


def control_id() -> str:
    return f"T{next(_control):08d}"


def msh(message_type: str, *, app: str = APP, facility: str = FACILITY, control: str | None = None,
        charset: str = "UNICODE UTF-8", version: str = "2.5^FRA^2.11", seps: str = "|^~\\&") -> str:
    f = seps[0]
    fields = ["MSH", seps[1:], app, facility, "ONCODCC", "DSRC", "20261121103000", "", message_type,
              control or control_id(), "P", version, "", "", "", "", "FRA", charset]
    return f.join(fields)


def pid(*, ipp: str = "", oid: str = "", ins: str = "", ins_oid: str = OID_INS_NIR, birth_name: str = "",
        given: str = "", first: str | None = None, used_name: str = "", used_given: str = "",
        birth_date: date | None = None, sex: str = "", birthplace: str = "", status: str = "",
        death: str = "", extra_ids: tuple[str, ...] = ()) -> str:
    """PID per PAM.fr: PID-3 IPP (CX-4 = hospital OID, PI) ~ INS (CX-4 = INS OID, INS); PID-5 L (XPN-2 first
    birth given name, XPN-3 the list of birth given names) ~ D; PID-11 birthplace (BDL, INSEE in XAD-9)."""
    fields = [""] * 33
    fields[0], fields[1] = "PID", "1"
    ids = list(extra_ids)
    if ipp:
        ids.insert(0, f"{ipp}^^^CHU-TEST&{oid}&ISO^PI")
    if ins:
        ids.append(f"{ins}^^^ASIP-SANTE-INS-NIR&{ins_oid}&ISO^INS^^20101207")
    fields[3] = "~".join(ids)
    names = []
    if birth_name:
        first_given = first if first is not None else given.split(" ")[0]
        names.append(f"{birth_name}^{first_given}^{given}^^^^L")
    if used_name:
        names.append(f"{used_name}^{used_given}^^^^^D")
    fields[5] = "~".join(names)
    fields[7] = f"{birth_date:%Y%m%d}" if birth_date else ""
    fields[8] = sex
    if birthplace:
        fields[11] = f"12 rue des Tilleuls^^LYON^^69003^FRA^H~^^^^^^BDL^^{birthplace}"
    fields[29] = death
    fields[30] = "Y" if death else "N"
    fields[32] = status
    return "|".join(fields).rstrip("|")


def join(*segments: str, charset: str = "UNICODE UTF-8") -> bytes:
    codec = {"UNICODE UTF-8": "utf-8", "8859/1": "iso-8859-1", "": "utf-8"}[charset]
    return ("\r".join(segments) + "\r").encode(codec)


def adt(event: str, pid_segment: str, *extra: str, charset: str = "UNICODE UTF-8", **kwargs) -> bytes:
    structure = {"A28": "ADT_A05", "A31": "ADT_A05", "A08": "ADT_A01", "A01": "ADT_A01", "A04": "ADT_A01",
                 "A05": "ADT_A05", "A40": "ADT_A39", "A47": "ADT_A30"}.get(event, "ADT_A01")
    segments = [msh(f"ADT^{event}^{structure}", charset=charset, **kwargs), "EVN||20261121103000", pid_segment]
    if event in ("A01", "A04", "A05", "A08"):
        segments.append("PV1|1|I|^^^CHU-TEST&1.2.3&M^O^^||||||||||||||||VN0001^^^CHU-TEST&1.2.3&M^VN")
        segments.append("ZBE|001^CHU-TEST|20261121103000||INSERT|N")
    segments += list(extra)
    return join(*segments, charset=charset)


def mrg(old_ipp: str, oid: str) -> str:
    return f"MRG|{old_ipp}^^^CHU-TEST&{oid}&ISO^PI"


META = [
    "OBX|{n}|CE|MASQUE_PS^Masqué aux professionnels de Santé^MetaDMPMSS||N^^expandedYes-NoIndicator||||||F|",
    "OBX|{n}|CE|DESTDMP^Destinataire DMP^MetaDMPMSS||Y^^expandedYes-NoIndicator||||||F|",
    "OBX|{n}|ED|CORPSMAIL_PS^Corps du mail pour un PS^MetaDMPMSS||^TEXT^^Base64^Qm9uam91cg==||||||F|",
]


def cda_obx(n: int, cda: bytes, status: str = "F", loinc: str = "11502-2") -> str:
    data = base64.b64encode(cda).decode()
    return f"OBX|{n}|ED|{loinc}^Compte rendu^LN||^TEXT^XML^Base64^{data}||||||{status}|"


def oru(pid_segment: str, *obx: str, charset: str = "UNICODE UTF-8", order: str = "NW", meta: bool = True,
        **kwargs) -> bytes:
    segments = [msh("ORU^R01^ORU_R01", charset=charset, version="2.5", **kwargs), pid_segment,
                "PV1|1|I|UFONCO", f"ORC|{order}|CMD001^DPI|EXA001^SIL", "OBR|1|CMD001^DPI|EXA001^SIL|"
                "11502-2^CR d'examens^LN||||||||||||^MEDECIN^Test^^^DR^^^^D|||||||||F", *obx]
    if meta:
        segments += [line.format(n=len(obx) + i) for i, line in enumerate(META, start=1)]
    return join(*segments, charset=charset)


def mdm(event: str, pid_segment: str, cda: bytes, *, charset: str = "UNICODE UTF-8", **kwargs) -> bytes:
    status = {"T02": "F", "T10": "C", "T04": "D"}[event]
    segments = [msh(f"MDM^{event}^MDM_T02", charset=charset, version="2.6", **kwargs),
                "EVN||20261121103000", pid_segment, "PV1|1|I|UFONCO", "ORC|NW|", "OBR|1|||18748-4^CR^LN|",
                "TXA|1|18748-4|TEXT|20261121093200||||||||DOC-1^CHU-TEST||||AU",
                cda_obx(1, cda, status, "18748-4"), *[line.format(n=i) for i, line in enumerate(META, start=2)]]
    return join(*segments, charset=charset)


def parse_ack(data: bytes, codec: str = "utf-8") -> hl7.Message:
    return hl7.parse(data.decode(codec))


def ack_code(data: bytes, codec: str = "utf-8") -> str:
    return str(parse_ack(data, codec).segment("MSA")[1])


def ack_text(data: bytes, codec: str = "utf-8") -> str:
    """ERR-8 (the French reason), or '' for an AA."""
    message = parse_ack(data, codec)
    try:
        err = message.segment("ERR")
    except KeyError:
        return ""
    return message.unescape(str(err[8])) if len(err) > 8 else ""
