"""Documents in (ORU^R01 OBX-11 F/C/D, MDM^T02/T10/T04) through handle_message, CDA from tests.samples."""

import base64
import uuid
from datetime import date

import pytest

from oncodcc.documents.models import Document
from oncodcc.interop.hl7v2.models import Hl7Message
from oncodcc.interop.hl7v2.processing import handle_message
from oncodcc.patients.models import Patient
from tests import samples

from . import messages as m

pytestmark = pytest.mark.django_db
BIRTH = date(1958, 12, 1)


@pytest.fixture
def person(hospital):
    ins = samples.nir(sex="F", birth_date=BIRTH)
    return {"ins": ins, "pid": m.pid(ipp="IPP-500", oid=hospital.oid, ins=ins, birth_name="GARÇON",
                                     given="Élodie", birth_date=BIRTH, sex="F", status="QUAL")}


def report(hospital, person, **kwargs):
    values = dict(birth_name="GARÇON", given="Élodie", birth_date=BIRTH, sex="F", ipp="IPP-500",
                  hospital_oid=hospital.oid, ins=person["ins"])
    return samples.cda_report(**{**values, **kwargs})


def err(answer: bytes) -> tuple[str, str]:
    segment = m.parse_ack(answer).segment("ERR")
    return str(segment[2]), str(segment[3]).split("^")[0]


def test_oru_new_level3_files_the_report_with_its_patient(sender, hospital, person):
    cda = report(hospital, person, conclusion="Adénocarcinome lieberkühnien.")
    answer = handle_message(m.oru(person["pid"], m.cda_obx(1, cda, "F")))

    assert m.ack_code(answer) == "AA", m.ack_text(answer)
    document = Document.objects.get()
    patient = Patient.objects.get()
    assert (document.patient, document.status, document.channel, document.cda_level) == (
        patient, "current", "hl7", 3)
    assert document.conclusion == "Adénocarcinome lieberkühnien."
    assert patient.identity_status == "QUAL"  # the hospital's status (PID-32) travels with its INS
    row = Hl7Message.objects.get()
    assert (row.patient_id, row.document_id, row.state) == (patient.pk, document.pk, "accepted")
    assert b"MetaDMPMSS" in bytes(row.raw)  # the flag rows are kept in the log


def test_oru_level1_with_pdf(sender, hospital, person):
    cda = report(hospital, person, pdf=samples.TINY_PDF)
    answer = handle_message(m.oru(person["pid"], m.cda_obx(1, cda, "F")))

    assert m.ack_code(answer) == "AA"
    document = Document.objects.get()
    assert document.cda_level == 1
    assert set(document.renderings.values_list("format", flat=True)) == {"cda", "pdf"}


def test_oru_replace_then_delete_keeps_the_version_chain(sender, hospital, person):
    set_id, first_id = str(uuid.uuid4()), str(uuid.uuid4())
    handle_message(m.oru(person["pid"], m.cda_obx(1, report(hospital, person, doc_id=first_id, set_id=set_id))))
    second = report(hospital, person, set_id=set_id, version=2, replaces=first_id, conclusion="Révisé.")

    answer = handle_message(m.oru(person["pid"], m.cda_obx(1, second, "C"), order="RO"))

    assert m.ack_code(answer) == "AA", m.ack_text(answer)
    old, new = Document.objects.order_by("version_number")
    assert (old.status, new.status, new.set_id, new.conclusion) == ("superseded", "current", old.set_id, "Révisé.")

    deleted = handle_message(m.oru(person["pid"], m.cda_obx(1, second, "D"), order="CA"))

    assert m.ack_code(deleted) == "AA"
    assert set(Document.objects.values_list("status", flat=True)) == {"deleted"}


def test_oru_with_level1_and_level3_files_both(sender, hospital, person):
    answer = handle_message(m.oru(person["pid"], m.cda_obx(1, report(hospital, person, pdf=samples.TINY_PDF)),
                                  m.cda_obx(2, report(hospital, person))))

    assert m.ack_code(answer) == "AA"
    assert sorted(Document.objects.values_list("cda_level", flat=True)) == [1, 3]


@pytest.mark.parametrize("charset", ["UNICODE UTF-8", "8859/1"])
def test_mdm_new_replace_delete(sender, hospital, person, charset):
    codec = "iso-8859-1" if charset == "8859/1" else "utf-8"
    set_id, first_id = str(uuid.uuid4()), str(uuid.uuid4())
    first = report(hospital, person, doc_id=first_id, set_id=set_id, type_code="18748-4")
    assert m.ack_code(handle_message(m.mdm("T02", person["pid"], first, charset=charset)), codec) == "AA"
    assert Patient.objects.get().birth_name == "GARÇON"

    second = report(hospital, person, set_id=set_id, version=2, replaces=first_id, type_code="18748-4")
    assert m.ack_code(handle_message(m.mdm("T10", person["pid"], second, charset=charset)), codec) == "AA"
    assert list(Document.objects.order_by("version_number").values_list("status", flat=True)) == [
        "superseded", "current"]

    assert m.ack_code(handle_message(m.mdm("T04", person["pid"], second, charset=charset)), codec) == "AA"
    assert set(Document.objects.values_list("status", flat=True)) == {"deleted"}


@pytest.mark.parametrize("event", ["T10", "T04"])
def test_replace_or_delete_of_an_unknown_patient_is_ae_204(sender, hospital, event):
    stranger = m.pid(ipp="IPP-404", oid=hospital.oid, birth_name="INCONNU", given="Paul",
                     birth_date=date(1990, 1, 1), sex="M")
    cda = samples.cda_report(birth_name="INCONNU", given="Paul", birth_date=date(1990, 1, 1), sex="M",
                             ipp="IPP-404", hospital_oid=hospital.oid, replaces=str(uuid.uuid4()))

    answer = handle_message(m.mdm(event, stranger, cda))

    assert m.ack_code(answer) == "AE"
    assert err(answer) == ("OBX^1^5", "204")
    assert "Patient inconnu" in m.ack_text(answer)
    assert not Patient.objects.exists() and not Document.objects.exists()


def test_replace_of_an_unknown_document_is_ae_204(sender, hospital, person):
    handle_message(m.oru(person["pid"], m.cda_obx(1, report(hospital, person))))
    other = report(hospital, person, replaces=str(uuid.uuid4()))

    answer = handle_message(m.oru(person["pid"], m.cda_obx(1, other, "C")))

    assert (m.ack_code(answer), err(answer)[1]) == ("AE", "204")
    assert Document.objects.count() == 1


def test_bad_base64_is_ae(sender, person):
    obx = "OBX|1|ED|11502-2^CR^LN||^TEXT^XML^Base64^PD94bWwg*?!||||||F|"
    answer = handle_message(m.oru(person["pid"], obx))

    assert (m.ack_code(answer), err(answer)) == ("AE", ("OBX^1^5", "102"))
    assert "Base64" in m.ack_text(answer)


def test_unparsable_cda_is_ae_and_nothing_is_written(sender, person):
    answer = handle_message(m.oru(person["pid"], m.cda_obx(1, b"<ClinicalDocument><pas-fini")))

    assert m.ack_code(answer) == "AE"
    assert err(answer)[0] == "OBX^1^5"
    assert not Patient.objects.exists() and not Document.objects.exists()
    assert Hl7Message.objects.get().state == "error"


def test_oversized_cda_is_ae(sender, hospital, person, settings):
    settings.INBOUND_DOCUMENT_MAX_BYTES = 20_000
    answer = handle_message(m.oru(person["pid"], m.cda_obx(1, report(hospital, person, padding=30_000))))

    assert m.ack_code(answer) == "AE"
    assert "volumineux" in m.ack_text(answer)
    assert not Document.objects.exists()


def test_message_without_cda_is_ae_101(sender, person):
    answer = handle_message(m.oru(person["pid"]))  # only the MetaDMPMSS rows

    assert (m.ack_code(answer), err(answer)) == ("AE", ("OBX^1^5", "101"))


def test_unsupported_obx_status_is_ae_103(sender, hospital, person):
    answer = handle_message(m.oru(person["pid"], m.cda_obx(1, report(hospital, person), "P")))

    assert (m.ack_code(answer), err(answer)) == ("AE", ("OBX^1^11", "103"))


def test_large_cda_is_filed(sender, hospital, person):
    cda = report(hospital, person, padding=800_000)
    answer = handle_message(m.oru(person["pid"], m.cda_obx(1, cda)))

    assert m.ack_code(answer) == "AA"
    assert Document.objects.get().renderings.get(format="cda").size == len(cda)


def test_non_base64_encoding_is_ae(sender, hospital, person):
    data = base64.b64encode(report(hospital, person)).decode()
    answer = handle_message(m.oru(person["pid"], f"OBX|1|ED|11502-2^CR^LN||^TEXT^XML^A^{data}||||||F|"))

    assert (m.ack_code(answer), err(answer)[1]) == ("AE", "102")
