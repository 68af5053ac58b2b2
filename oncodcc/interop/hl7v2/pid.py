"""PID (PAM.fr 2.11, HL7 2.5 with the Interop'Santé datatype constraints) → IncomingIdentity.

- PID-3 repetitions (CX): the IPP is the one assigned by the sender's organisation (CX-4.2 universal id = its OID,
  CX-5 "PI"); the INS the one whose CX-4.2 is an INS OID (CX-5 "INS"). Other authorities are ignored.
- PID-5 repetitions (XPN), by name type XPN-7: "L" birth name = XPN-1, first birth given name = XPN-2, list of
  the birth given names (all of them, the first included, separated by spaces, as the INSi teleservice returns
  them) = XPN-3 — the ANS example `PAT-TROIS^DOMINIQUE^DOMINIQUE^^^^L`; "D" used name = XPN-1, used given name =
  XPN-2. A legacy XPN-3 that does not start with XPN-2 is read as the other given names and appended to it.
- PID-7 birth date (TS, the date part), PID-8 sex (F, M; U, O, A, N → I), PID-11 birthplace: the XAD repetition of
  type BDL (XAD-7), INSEE code in XAD-9; PID-29/30 death; PID-32 identity status (PROV, VALI, RECUP, QUAL)."""

from datetime import date

from oncodcc.patients.inbound import INS_OIDS, IncomingIdentity

from . import ack
from .parsing import Segment

SEX = {"F": "F", "M": "M", "U": "I", "O": "I", "A": "I", "N": "I", "I": "I"}
STATUSES = {"PROV", "VALI", "RECUP", "QUAL"}


def parse_date(value: str, *, segment: str, field: int, label: str) -> date | None:
    """HL7 TS/DT → date (the date part). Empty → None; anything else unreadable → AE 102."""
    value = value.strip()
    if not value:
        return None
    digits = value[:8]
    try:
        if len(digits) != 8 or not digits.isdigit():
            raise ValueError
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ack.error(ack.DATA_TYPE_ERROR, f"{label} invalide (AAAAMMJJ attendu) : {value[:20]}.",
                        segment=segment, field=field) from None


def identifiers(segment: Segment, number: int, organisation_oid: str) -> tuple[str, str, str]:
    """(IPP of the sender, INS matricule, INS OID) from a CX field (PID-3, MRG-1)."""
    ipp = ins = ins_oid = ""
    message = segment.message
    for rep in segment.repetitions(number):
        value = message.component(rep, 1).strip()
        if not value:
            continue
        universal_id = message.component(rep, 4, 2).strip()
        namespace = message.component(rep, 4, 1).strip()
        kind = message.component(rep, 5).strip().upper()
        if universal_id in INS_OIDS and not ins:
            ins, ins_oid = value, universal_id
        elif organisation_oid and organisation_oid in (universal_id, namespace) and kind in ("PI", "") and not ipp:
            ipp = value
    return ipp, ins, ins_oid


def _names(segment: Segment) -> dict[str, str]:
    message = segment.message
    names: dict[str, str] = {}
    reps = segment.repetitions(5)
    for rep in reps:
        kind = message.component(rep, 7).strip().upper() or ("L" if len(reps) == 1 else "")
        family = message.component(rep, 1).strip()
        first = message.component(rep, 2).strip()
        others = message.component(rep, 3).strip()
        if kind == "L" and "birth_name" not in names:
            given_list = others
            if not given_list or (first and not f"{given_list} ".casefold().startswith(f"{first} ".casefold())):
                given_list = " ".join(part for part in (first, others) if part)
            names.update(birth_name=family, first_birth_given_name=first or given_list.split(" ")[0],
                         birth_given_names=given_list)
        elif kind == "D" and "used_name" not in names:
            names.update(used_name=family, used_given_name=first)
    return names


def _birthplace(segment: Segment) -> str:
    message = segment.message
    for rep in segment.repetitions(11):
        if message.component(rep, 7).strip().upper() == "BDL":
            return message.component(rep, 9).strip()
    return ""


def incoming(segment: Segment, organisation_oid: str) -> IncomingIdentity:
    """The identity carried by a PID segment (no check of completeness here: inbound.resolve decides)."""
    ipp, ins, ins_oid = identifiers(segment, 3, organisation_oid)
    sex_code = segment.get(8).strip().upper()
    if sex_code and sex_code not in SEX:
        raise ack.error(ack.TABLE_VALUE_NOT_FOUND, f"Sexe inconnu (PID-8) : {sex_code[:5]}.", segment="PID",
                        field=8)
    deceased = parse_date(segment.get(29), segment="PID", field=29, label="Date de décès (PID-29)")
    status = ""
    for rep in segment.repetitions(32):
        code = segment.message.component(rep, 1).strip().upper()
        if code in STATUSES:
            status = code
            break
    return IncomingIdentity(
        ipp=ipp, ins_matricule=ins, ins_oid=ins_oid, **_names(segment),
        birth_date=parse_date(segment.get(7), segment="PID", field=7, label="Date de naissance (PID-7)"),
        sex=SEX.get(sex_code, ""), birthplace_insee=_birthplace(segment), identity_status=status,
        deceased_date=deceased,
    )
