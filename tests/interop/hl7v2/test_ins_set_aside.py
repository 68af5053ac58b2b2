"""Refuse less, file more (issue 15): an INS that fails its key or its coherence with the traits is set aside; the
identity and the report it came with are filed, and the ACK is AA with an ERR of severity W — over real MLLP
sockets, with the real processing."""

from datetime import date

import pytest

from oncodcc.documents.models import Document
from oncodcc.interop.hl7v2.models import Hl7Message
from oncodcc.patients.models import Patient
from tests import samples

from . import messages as m
from .test_mllp import Client, ack_fields

pytestmark = pytest.mark.django_db(transaction=True)
BIRTH = date(1972, 6, 14)


def err_segment(ack: bytes) -> list[str]:
    sep = ack[3:4].decode()
    return next(s for s in ack.decode().split("\r") if s.startswith("ERR")).split(sep)


@pytest.mark.parametrize(("ins", "why"), [
    ("272067505612399", "Matricule INS invalide"),  # wrong control key
    (samples.nir(sex="M", birth_date=date(1972, 6, 14)), "ne correspond pas au sexe"),  # a man's NIR
])
def test_oru_with_a_bad_ins_is_filed_with_a_warning(start_listener, hospital, ins, why):
    listener = start_listener()
    cda = samples.cda_report(birth_name="FONTAINE", given="Agnès", birth_date=BIRTH, ipp="IPP-W1",
                             hospital_oid=hospital.oid)
    pid = m.pid(ipp="IPP-W1", oid=hospital.oid, ins=ins, birth_name="FONTAINE", given="Agnès", birth_date=BIRTH,
                sex="F", status="VALI")
    with Client(listener.port) as client:
        answer = client.send(m.oru(pid, m.cda_obx(1, cda), control="W-1"))

    assert ack_fields(answer) == ("AA", "W-1")
    err = err_segment(answer)
    assert err[4] == "W" and err[2] == "PID^1^3" and err[3].startswith("102^")
    assert why in err[8] and "enregistrée sans ce matricule INS" in err[8]
    patient = Patient.objects.get()
    # VALI (checked on an identity document) does not rest on the INS: it stays; RECUP/QUAL would not.
    assert (patient.ins_matricule, patient.identity_status) == ("", "VALI")
    assert {"DPOT", "DOUT"} <= set(patient.identity_flags)
    assert Document.objects.get(kind="received").patient_id == patient.pk  # the report is filed too
    row = Hl7Message.objects.get()
    assert (row.state, row.ack_code) == ("accepted", "AA") and why in row.error


def test_a_good_ins_gets_a_plain_aa(start_listener, hospital):
    listener = start_listener()
    pid = m.pid(ipp="IPP-W2", oid=hospital.oid, ins=samples.nir(sex="F", birth_date=BIRTH), birth_name="FONTAINE",
                given="Agnès", birth_date=BIRTH, sex="F", status="VALI")
    with Client(listener.port) as client:
        answer = client.send(m.adt("A28", pid, control="W-2"))
    assert ack_fields(answer) == ("AA", "W-2") and b"ERR" not in answer
    assert Patient.objects.get().ins_matricule != ""
