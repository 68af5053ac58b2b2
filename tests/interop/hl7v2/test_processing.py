"""The contract of the listener: raw log first, one transaction, ACK after commit, dedupe, never an exception."""

from datetime import date

import pytest

from oncodcc.interop.hl7v2 import pam, processing
from oncodcc.interop.hl7v2.models import Hl7Message
from oncodcc.interop.hl7v2.processing import handle_message
from oncodcc.patients.models import Patient, PatientIdentifier

from . import messages as m

BIRTH = date(1985, 7, 14)


def a28(hospital, control=None, **overrides):
    values = dict(ipp="IPP-1", oid=hospital.oid, birth_name="FÉRAL", given="Inès", birth_date=BIRTH, sex="F")
    return m.adt("A28", m.pid(**{**values, **overrides}), control=control)


@pytest.mark.django_db
def test_duplicate_control_id_returns_the_same_ack_and_processes_once(sender, hospital):
    first = handle_message(a28(hospital, control="DUP-1"))
    again = handle_message(a28(hospital, control="DUP-1", used_name="AUTRE", used_given="X"))

    assert again == first
    assert Patient.objects.get().used_name == ""
    assert list(Hl7Message.objects.order_by("pk").values_list("state", flat=True)) == ["accepted", "duplicate"]
    duplicate = Hl7Message.objects.get(state="duplicate")
    assert duplicate.patient_id == Patient.objects.get().pk and "Doublon" in duplicate.error


@pytest.mark.django_db
def test_same_control_id_from_another_sender_is_not_a_duplicate(sender, hospital):
    from oncodcc.interop.hl7v2.models import Hl7Sender

    Hl7Sender.objects.create(application="DPI2", facility=m.FACILITY, organisation=hospital)
    handle_message(a28(hospital, control="C-1"))
    answer = handle_message(m.adt("A28", m.pid(ipp="IPP-2", oid=hospital.oid, birth_name="AUTRE", given="Léo",
                                               birth_date=BIRTH, sex="M"), control="C-1", app="DPI2"))

    assert m.ack_code(answer) == "AA"
    assert Patient.objects.count() == 2


@pytest.mark.django_db
def test_an_ae_does_not_block_the_corrected_resend(sender, hospital):
    wrong = handle_message(m.adt("A28", m.pid(ipp="IPP-1", oid=hospital.oid, birth_name="FÉRAL", given="Inès"),
                                 control="FIX-1"))
    assert m.ack_code(wrong) == "AE"

    fixed = handle_message(a28(hospital, control="FIX-1"))

    assert m.ack_code(fixed) == "AA"
    assert Patient.objects.count() == 1
    assert list(Hl7Message.objects.order_by("pk").values_list("state", flat=True)) == ["error", "accepted"]


@pytest.mark.django_db
def test_a_repeated_control_id_is_caught_by_the_claim_and_answers_the_winners_ack(sender, hospital):
    """No lookup before processing: the second copy's claim hits the unique constraint of the accepted first one
    (committed, or committing concurrently); it rolls back and answers the first one's ACK."""
    winner = handle_message(a28(hospital, control="RACE-1"))
    loser = handle_message(a28(hospital, control="RACE-1", used_name="PERDU", used_given="X"))

    assert loser == winner
    assert Patient.objects.get().used_name == ""
    assert Hl7Message.objects.filter(state="duplicate").count() == 1


@pytest.mark.django_db
def test_unexpected_exception_keeps_the_raw_row_and_writes_nothing(sender, hospital, monkeypatch, caplog):
    real = pam.inbound.resolve

    def resolve_then_crash(**kwargs):
        real(**kwargs)  # the patient is written…
        raise RuntimeError("LÉVÊQUE Anaïs")  # …then something breaks: nothing may stay half-written

    monkeypatch.setattr(pam.inbound, "resolve", resolve_then_crash)
    payload = a28(hospital)
    answer = handle_message(payload)

    assert m.ack_code(answer) == "AE"
    assert str(m.parse_ack(answer).segment("ERR")[3]).startswith("207")
    assert "erreur interne" in m.ack_text(answer).lower()
    assert not Patient.objects.exists() and not PatientIdentifier.objects.exists()
    row = Hl7Message.objects.get()
    assert (bytes(row.raw), row.state, row.patient_id) == (payload, "error", None)
    assert "RuntimeError" in caplog.text and "LÉVÊQUE" not in caplog.text  # no identities in the log


@pytest.mark.django_db(transaction=True)
def test_real_transactions_raw_row_survives_the_rollback(sender, hospital, monkeypatch):
    """Without the test transaction: the raw row is committed on its own before processing, the processing
    transaction rolls back as a whole."""
    def crash(context):
        Patient.objects.create(birth_name="X", birth_given_names="Y", first_birth_given_name="Y",
                               birth_date=BIRTH, sex="F")
        raise RuntimeError("boom")

    monkeypatch.setitem(processing.HANDLERS["ADT"], "A28", crash)
    answer = handle_message(a28(hospital))

    assert m.ack_code(answer) == "AE"
    assert not Patient.objects.exists()
    assert Hl7Message.objects.get().state == "error"
    monkeypatch.undo()
    assert m.ack_code(handle_message(a28(hospital))) == "AA"
    assert Patient.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [b"", b"\x00\xff\xfe", b"bonjour", b"MSH", b"MSH|", b"MSH|^~\\&",
                                     b"PID|1||123", "MSH|^~\\&|é".encode("utf-16")])
def test_garbage_gets_ar_and_is_logged(db, payload):
    answer = handle_message(payload)

    assert m.ack_code(answer) == "AR"
    assert str(m.parse_ack(answer).segment("ERR")[3]).startswith("100")
    row = Hl7Message.objects.get()
    assert (bytes(row.raw), row.state) == (payload, "rejected")


@pytest.mark.django_db
def test_unusable_msh_echoes_what_could_be_read_of_msh10(db):
    answer = handle_message(b"MSH|ab|APP|FAC|||x||ADT^A28|CTRL-42|P|2.5\rPID|1")

    assert m.ack_code(answer) == "AR"
    assert str(m.parse_ack(answer).segment("MSA")[2]) == "CTRL-42"


@pytest.mark.django_db
def test_missing_control_id_is_ar_101(sender, hospital):
    answer = handle_message(a28(hospital, control=" "))

    assert m.ack_code(answer) == "AR"
    assert str(m.parse_ack(answer).segment("ERR")[2]) == "MSH^1^10"


@pytest.mark.django_db
def test_unsupported_charset_is_ar_103(sender, hospital):
    payload = a28(hospital).replace(b"UNICODE UTF-8", b"ISO IR87")

    answer = handle_message(payload)

    assert m.ack_code(answer) == "AR"
    assert str(m.parse_ack(answer).segment("ERR")[3]).startswith("103")


@pytest.mark.django_db
def test_oversized_message_is_ar_and_truncated_in_the_log(sender, hospital, settings):
    settings.MLLP_MAX_FRAME_BYTES = 1000
    payload = a28(hospital) + b"NTE|1||" + b"x" * 2000 + b"\r"

    answer = handle_message(payload)

    assert m.ack_code(answer) == "AR"
    row = Hl7Message.objects.get()
    assert (row.size, len(bytes(row.raw))) == (len(payload), 1000) and "tronqué" in row.notes


@pytest.mark.django_db
def test_lf_segment_separators_are_tolerated(sender, hospital):
    assert m.ack_code(handle_message(a28(hospital).replace(b"\r", b"\n"))) == "AA"


@pytest.mark.django_db
def test_database_down_still_answers(sender, hospital, monkeypatch):
    def down(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("database is locked")

    monkeypatch.setattr(processing, "_persist", down)
    answer = handle_message(a28(hospital, control="DOWN-1"))

    assert m.ack_code(answer) == "AE"
    assert str(m.parse_ack(answer).segment("MSA")[2]) == "DOWN-1"


def test_non_bytes_input_never_raises():
    assert m.ack_code(handle_message(None)) in {"AE", "AR"}  # type: ignore[arg-type]
