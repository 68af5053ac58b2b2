"""The example of docs/hl7.md is a real message: processed as documented."""

from pathlib import Path

import pytest

from oncodcc.interop.hl7v2.models import Hl7Sender
from oncodcc.interop.hl7v2.processing import handle_message
from oncodcc.patients.models import Patient
from tests import samples

from . import messages as m

DOC = Path(__file__).resolve().parents[3] / "docs" / "hl7.md"


def example() -> bytes:
    lines = [line.strip() for line in DOC.read_text().splitlines() if line.startswith("    ")]
    start = next(i for i, line in enumerate(lines) if "ADT^A28^ADT_A05" in line)
    return ("\r".join(lines[start:start + 3]) + "\r").encode()


@pytest.mark.django_db
def test_documented_example_creates_the_documented_patient():
    payload = example()
    assert m.ack_code(handle_message(payload)) == "AR"  # sender not registered yet: as documented

    hospital = samples.hospital(oid="1.2.250.1.999.77.1")
    Hl7Sender.objects.create(application="DPI", facility="CHU-TEST", organisation=hospital)
    answer = handle_message(payload.replace(b"T00000001", b"T00000002"))

    assert m.ack_code(answer) == "AA", m.ack_text(answer)
    patient = Patient.objects.get()
    assert (patient.birth_name, patient.birth_given_names, patient.used_name, patient.birthplace_insee,
            patient.identity_status) == ("LÉVÊQUE", "Anaïs Bérénice", "MARTIN", "69123", "VALI")
