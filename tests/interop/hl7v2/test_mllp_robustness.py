"""The listener against what a hostile or broken network sends, over real sockets: unknown senders' big frames are
not stored, random bytes make one log line, rows left "received" by a killed listener are finished at start-up and
the sender's resend is answered coherently; plain MLLP listens on the loopback interface only unless allowed."""

import logging
import random
import socket
import time

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from oncodcc.interop.hl7v2.channel import ChannelConfigError, check_plain_allowed
from oncodcc.interop.hl7v2.mllp import MllpListener
from oncodcc.interop.hl7v2.models import Hl7Message
from oncodcc.interop.hl7v2.processing import HEAD_STORED_BYTES, handle_message
from oncodcc.interop.hl7v2.recovery import RECOVERY_NOTE
from oncodcc.patients.models import Patient, PatientIdentifier

from . import messages as m
from .test_mllp import TIMEOUT, Client, a28, ack_fields

pytestmark = pytest.mark.django_db(transaction=True)
MLLP_LOGGER = "oncodcc.interop.hl7v2.mllp"


def wait_for_log(caplog, text: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not any(text in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, f"pas de ligne « {text} »"
        time.sleep(0.05)


# --- Unknown senders ------------------------------------------------------------------------------------------------


def test_big_frames_of_an_unknown_sender_are_refused_and_not_stored(start_listener, hospital):
    listener = start_listener()
    filler = "OBX|1|ED|CDA||^text^XML^Base64^" + "A" * (4 * 1024 * 1024) + "|||||F"
    payloads = [m.adt("A28", m.pid(ipp=f"IPP-U{k}", oid=hospital.oid, birth_name="INCONNU"), filler,
                      app="INTRUS", facility="NULLE-PART", control=f"JUNK-{k}") for k in range(3)]
    with Client(listener.port) as client:
        answers = [client.send(payload) for payload in payloads]

    assert [ack_fields(a) for a in answers] == [("AR", f"JUNK-{k}") for k in range(3)]
    assert all("Émetteur inconnu : INTRUS/NULLE-PART" in m.ack_text(a) for a in answers)
    rows = list(Hl7Message.objects.order_by("pk"))
    assert [(r.control_id, r.state, r.size) for r in rows] == [(f"JUNK-{k}", "rejected", len(payloads[k]))
                                                              for k in range(3)]
    for row, payload in zip(rows, payloads, strict=True):
        raw = bytes(row.raw)
        assert len(raw) <= HEAD_STORED_BYTES and raw == payload.split(b"\r", 1)[0]
        assert (row.sending_application, row.sending_facility, row.message_type) == ("INTRUS", "NULLE-PART",
                                                                                    "ADT^A28")
    assert not Patient.objects.exists()


def test_frames_without_msh_store_their_first_bytes_only(sender):
    junk = bytes(random.Random(3).randbytes(200_000)).replace(b"\x0b", b"").replace(b"\x1c", b"")
    assert m.ack_code(handle_message(junk), "iso-8859-1") == "AR"
    row = Hl7Message.objects.get()
    assert row.state == "rejected" and row.size == len(junk) and len(bytes(row.raw)) <= HEAD_STORED_BYTES


# --- Logs -----------------------------------------------------------------------------------------------------------


def test_random_bytes_make_one_log_line(start_listener, hospital, caplog):
    caplog.set_level(logging.INFO, logger=MLLP_LOGGER)
    listener = start_listener()
    garbage = random.Random(9).randbytes(512 * 1024).replace(b"\x1c", b"")  # ~2,000 <VT>: no frame ends
    assert garbage.count(b"\x0b") > 1000
    with socket.create_connection(("127.0.0.1", listener.port), timeout=TIMEOUT) as sock:
        sock.sendall(garbage)
    wait_for_log(caplog, "terminée")

    warnings = [r.getMessage() for r in caplog.records if r.name == MLLP_LOGGER and r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings[:3]
    assert "octets hors trame ignorés" in warnings[0]
    assert not Hl7Message.objects.exists()


def test_garbage_then_frames_one_line_each(start_listener, hospital, caplog):
    caplog.set_level(logging.INFO, logger=MLLP_LOGGER)
    listener = start_listener()
    noise = random.Random(4).randbytes(64 * 1024).replace(b"\x1c", b"")
    with Client(listener.port) as client:
        client.sock.sendall(noise)
        for k in range(3):  # frames without MSH: each refused
            assert ack_fields(client.send(f"pas un message {k}".encode()))[0] == "AR"
        assert ack_fields(client.send(a28(hospital, "IPP-N1", control="N-1"))) == ("AA", "N-1")
    wait_for_log(caplog, "terminée")

    lines = [r.getMessage() for r in caplog.records if r.name == MLLP_LOGGER]
    assert len([line for line in lines if "hors trame" in line]) == 1
    assert len([line for line in lines if "→ AR" in line]) == 3
    assert len([r for r in caplog.records if r.name == MLLP_LOGGER and r.levelno >= logging.WARNING]) == 1


# --- Rows left "received" by a killed listener ----------------------------------------------------------------------


def stuck_row(payload: bytes, control: str, notes: str = "") -> Hl7Message:
    """What a listener killed during the processing transaction leaves: the raw row, state "received"."""
    return Hl7Message.objects.create(
        received_at=timezone.now(), peer="127.0.0.1:40000", raw=payload, size=len(payload),
        sending_application=m.APP, sending_facility=m.FACILITY, control_id=control, message_type="ADT^A28",
        encoding="utf-8", notes=notes)


def test_stuck_row_is_processed_at_start_and_the_resend_gets_its_aa(start_listener, hospital):
    payload = a28(hospital, "IPP-STUCK", control="STUCK-1")
    row = stuck_row(payload, "STUCK-1")

    listener = start_listener()
    row.refresh_from_db()
    assert (row.state, row.ack_code) == ("accepted", "AA")
    assert RECOVERY_NOTE in row.notes
    patient = PatientIdentifier.objects.get(value="IPP-STUCK").patient
    assert row.patient_id == patient.pk

    with Client(listener.port) as client:  # the sender never had its ACK: it resends
        assert ack_fields(client.send(payload)) == ("AA", "STUCK-1")
    resend = Hl7Message.objects.exclude(pk=row.pk).get()
    assert (resend.state, bytes(resend.ack)) == ("duplicate", bytes(row.ack))
    assert Patient.objects.count() == 1


def test_row_stuck_twice_is_marked_failed_and_the_resend_is_processed(start_listener, hospital):
    payload = a28(hospital, "IPP-POISON", control="POISON-1")
    row = stuck_row(payload, "POISON-1", notes=RECOVERY_NOTE)  # already recovered once, killed again

    listener = start_listener()
    row.refresh_from_db()
    assert (row.state, row.ack_code) == ("error", "AE")
    assert "interrompu deux fois" in row.error
    assert not Patient.objects.exists()

    with Client(listener.port) as client:
        assert ack_fields(client.send(payload)) == ("AA", "POISON-1")
    assert Hl7Message.objects.exclude(pk=row.pk).get().state == "accepted"
    assert PatientIdentifier.objects.filter(value="IPP-POISON").exists()


def test_stuck_row_whose_resend_was_accepted_meanwhile_becomes_a_duplicate(start_listener, hospital):
    payload = a28(hospital, "IPP-RACE", control="RACE-1")
    row = stuck_row(payload, "RACE-1")
    assert m.ack_code(handle_message(payload)) == "AA"  # the resend, accepted by another listener

    listener = start_listener()
    row.refresh_from_db()
    assert row.state == "duplicate"
    with Client(listener.port) as client:
        assert ack_fields(client.send(payload)) == ("AA", "RACE-1")
    assert Patient.objects.count() == 1
    assert Hl7Message.objects.filter(state="accepted").count() == 1


# --- Plain MLLP: loopback only unless allowed -----------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_plain_on_loopback_is_allowed(host):
    check_plain_allowed(host, allow_plain=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "10.2.0.15", "", "::"])  # noqa: S104
def test_plain_elsewhere_needs_the_explicit_setting(host):
    with pytest.raises(ChannelConfigError, match="MLLP en clair refusé"):
        check_plain_allowed(host, allow_plain=False)
    check_plain_allowed(host, allow_plain=True)


def test_the_listener_itself_refuses_plain_on_all_interfaces():
    import asyncio
    import threading

    listener = MllpListener(host="0.0.0.0", port=0, handler=lambda payload, **kw: b"", allow_plain=False)  # noqa: S104
    raised = []

    def run() -> None:  # in its own thread: a browser test may have left an event loop in this worker
        try:
            asyncio.run(listener.start())
        except ChannelConfigError as exc:
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    assert raised, "plain MLLP on every interface must be refused"


def test_command_refuses_plain_on_all_interfaces_with_a_clear_message(settings):
    settings.MLLP_ALLOW_PLAIN = False
    with pytest.raises(CommandError) as error:
        call_command("mllp", host="0.0.0.0", port=0)  # noqa: S104
    assert "MLLP en clair refusé sur 0.0.0.0" in str(error.value) and "MLLP_ALLOW_PLAIN=1" in str(error.value)


def test_command_refuses_an_incomplete_tls_configuration(tmp_path):
    cert = tmp_path / "server.crt"
    cert.write_text("x")
    with pytest.raises(CommandError, match="il manque --tls-key"):
        call_command("mllp", host="0.0.0.0", port=0, tls_cert=str(cert))  # noqa: S104
    with pytest.raises(CommandError, match="fichier introuvable"):
        call_command("mllp", port=0, tls_cert=str(cert), tls_key=str(tmp_path / "absent.key"),
                     tls_client_ca=str(cert))
