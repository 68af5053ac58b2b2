"""The MLLP listener over real sockets, with the real processing (handle_message) and the test database.

The listener runs in a background thread with its own event loop, on a free port; its worker threads open their
own database connections, hence transactional tests. On the in-memory SQLite test database (shared-cache mode,
where concurrent writers fail at once instead of waiting) messages are processed one at a time; connections stay
concurrent. On PostgreSQL the default of 8 parallel processings is used."""

import socket
import threading
import time
from datetime import date

import hl7.client
import pytest

from oncodcc.documents.models import Document
from oncodcc.interop.hl7v2.framing import Deframer, Frame, frame
from oncodcc.interop.hl7v2.models import Hl7Message
from oncodcc.interop.hl7v2.processing import handle_message
from oncodcc.patients.models import Patient, PatientIdentifier
from tests import samples

from . import messages as m

pytestmark = pytest.mark.django_db(transaction=True)
BIRTH = date(1968, 5, 17)
TIMEOUT = 30


@pytest.fixture
def listener(start_listener):
    return start_listener()


class Client:
    """A blocking MLLP client that reads ACK frames with its own deframer (an ACK may come in several reads)."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.deframer = Deframer(10_000_000)
        self.pending: list[bytes] = []

    def send(self, payload: bytes) -> bytes:
        self.sock.sendall(frame(payload))
        return self.read()

    def read(self) -> bytes:
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connexion fermée par le serveur")
            self.pending += [e.payload for e in self.deframer.feed(data) if isinstance(e, Frame)]
        return self.pending.pop(0)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def ack_fields(ack: bytes) -> tuple[str, str]:
    """(MSA-1, MSA-2) read with the ACK's own field separator."""
    sep = ack[3:4]
    for segment in ack.split(b"\r"):
        if segment.startswith(b"MSA"):
            fields = segment.split(sep)
            return fields[1].decode("latin-1"), (fields[2].decode("latin-1") if len(fields) > 2 else "")
    raise AssertionError(f"pas de segment MSA dans {ack!r}")


def a28(hospital, ipp: str, *, control: str | None = None, charset: str = "UNICODE UTF-8", **traits) -> bytes:
    values = {"birth_name": "DURAND", "given": "Claire", "birth_date": BIRTH, "sex": "F", "status": "VALI",
              **traits}
    return m.adt("A28", m.pid(ipp=ipp, oid=hospital.oid, **values), control=control, charset=charset)


def test_a28_over_python_hl7_client_creates_the_patient(listener, hospital):
    payload = a28(hospital, "IPP-M1", control="MLLP-1")
    with hl7.client.MLLPClient("127.0.0.1", listener.port) as client:  # an independent HL7 tool
        answer = client.send_message(payload)

    assert answer.startswith(b"\x0b") and answer.endswith(b"\x1c\r")
    ack = hl7.parse(answer[1:-2].decode("utf-8"))
    assert (str(ack.segment("MSA")[1]), str(ack.segment("MSA")[2])) == ("AA", "MLLP-1")
    patient = PatientIdentifier.objects.get(value="IPP-M1").patient
    assert (patient.birth_name, patient.birth_date) == ("DURAND", BIRTH)
    row = Hl7Message.objects.get()
    assert (row.state, row.control_id, row.patient_id) == ("accepted", "MLLP-1", patient.pk)
    assert row.peer.startswith("127.0.0.1:")


def test_several_messages_on_one_connection_are_answered_in_order(listener, hospital):
    cda = samples.cda_report(birth_name="DURAND", given="Claire", birth_date=BIRTH, ipp="IPP-M2",
                             hospital_oid=hospital.oid)
    pid = m.pid(ipp="IPP-M2", oid=hospital.oid, birth_name="DURAND", given="Claire", birth_date=BIRTH, sex="F")
    payloads = [
        a28(hospital, "IPP-M2", control="SEQ-1"),
        m.adt("A31", m.pid(ipp="IPP-M2", oid=hospital.oid, birth_name="DURAND", given="Claire Marie",
                           birth_date=BIRTH, sex="F"), control="SEQ-2"),
        m.oru(pid, m.cda_obx(1, cda), control="SEQ-3"),
        b"MSH|^~\\&|INCONNU|NULLE-PART|ONCODCC|DSRC|20261121||ADT^A28^ADT_A05|SEQ-4|P|2.5\r",
    ]
    with Client(listener.port) as client:
        answers = [ack_fields(client.send(p)) for p in payloads]

    assert answers == [("AA", "SEQ-1"), ("AA", "SEQ-2"), ("AA", "SEQ-3"), ("AR", "SEQ-4")]
    patient = Patient.objects.get()
    assert patient.birth_given_names == "Claire Marie"
    assert Document.objects.get(kind="received").patient_id == patient.pk


def test_frame_sent_byte_by_byte(listener, hospital):
    wire = frame(a28(hospital, "IPP-M3", control="BYTE-1"))
    with Client(listener.port) as client:
        for i in range(len(wire)):
            client.sock.sendall(wire[i:i + 1])
            if i % 8 == 0:
                time.sleep(0.001)  # separate TCP segments, not one coalesced write
        assert ack_fields(client.read()) == ("AA", "BYTE-1")
    assert PatientIdentifier.objects.filter(value="IPP-M3").exists()


def test_two_frames_in_one_send_get_two_acks_in_order(listener, hospital):
    with Client(listener.port) as client:
        client.sock.sendall(frame(a28(hospital, "IPP-M4", control="TWO-1"))
                            + frame(a28(hospital, "IPP-M5", control="TWO-2")))
        assert [ack_fields(client.read()), ack_fields(client.read())] == [("AA", "TWO-1"), ("AA", "TWO-2")]
    assert Patient.objects.count() == 2


def test_twenty_concurrent_connections(listener, hospital):
    results: dict[int, list] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def conversation(k: int) -> None:
        try:
            with Client(listener.port) as client:
                barrier.wait(TIMEOUT)
                results[k] = [ack_fields(client.send(a28(hospital, f"IPP-C{k}-{j}", control=f"C{k}-{j}",
                                                         birth_name=f"CONCURRENT{k}")))
                              for j in range(3)]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=conversation, args=(k,)) for k in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert not errors, errors
    assert results == {k: [("AA", f"C{k}-{j}") for j in range(3)] for k in range(20)}
    assert Patient.objects.count() == 60
    assert Hl7Message.objects.filter(state="accepted").count() == 60


def test_oru_with_an_800_kb_cda(listener, hospital):
    cda = samples.cda_report(birth_name="GRANDDOC", given="Léa", birth_date=BIRTH, ipp="IPP-BIG",
                             hospital_oid=hospital.oid, padding=800_000, conclusion="Adénocarcinome.")
    pid = m.pid(ipp="IPP-BIG", oid=hospital.oid, birth_name="GRANDDOC", given="Léa", birth_date=BIRTH, sex="F")
    payload = m.oru(pid, m.cda_obx(1, cda), control="BIG-1")
    assert len(payload) > 1_000_000  # 800 KB of CDA, base64

    with Client(listener.port) as client:
        assert ack_fields(client.send(payload)) == ("AA", "BIG-1")
    document = Document.objects.get(kind="received")
    assert document.patient.birth_name == "GRANDDOC"
    assert document.conclusion.startswith("Adénocarcinome")
    assert Hl7Message.objects.get().size == len(payload)


@pytest.mark.parametrize(("charset", "codec"), [("UNICODE UTF-8", "utf-8"), ("8859/1", "iso-8859-1")])
def test_accented_names_in_both_encodings(listener, hospital, charset, codec):
    payload = a28(hospital, "IPP-ACC", control="ACC-1", charset=charset, birth_name="NOËL-DÉSIRÉ",
                  given="Maëlys Françoise", used_name="ÇÀÏÔÙ", used_given="Maëlys")
    assert "NOËL-DÉSIRÉ".encode(codec) in payload
    with Client(listener.port) as client:
        answer = client.send(payload)
    assert ack_fields(answer) == ("AA", "ACC-1")
    answer.decode(codec)  # answered in the message's charset
    patient = Patient.objects.get()
    assert (patient.birth_name, patient.birth_given_names, patient.used_name) == (
        "NOËL-DÉSIRÉ", "Maëlys Françoise", "ÇÀÏÔÙ")


def test_garbage_between_frames_is_ignored(listener, hospital):
    with Client(listener.port) as client:
        client.sock.sendall(b"GET / HTTP/1.1\r\n\r\n\x00\xff" + frame(a28(hospital, "IPP-G1", control="G-1"))
                            + b"\r\n\x1c\r stray")
        assert ack_fields(client.read()) == ("AA", "G-1")
        assert ack_fields(client.send(a28(hospital, "IPP-G2", control="G-2"))) == ("AA", "G-2")
    assert Hl7Message.objects.count() == 2  # the garbage never reached the processing


def test_oversized_frame_is_answered_ar_and_the_connection_resynchronises(start_listener, hospital):
    listener = start_listener(max_frame_bytes=64 * 1024)
    cda = samples.cda_report(birth_name="TROPGROS", given="Max", birth_date=BIRTH, padding=200_000)
    big = m.oru(m.pid(ipp="IPP-OV", oid=hospital.oid, birth_name="TROPGROS", given="Max", birth_date=BIRTH,
                      sex="M"), m.cda_obx(1, cda), control="OVER-1")
    with Client(listener.port) as client:
        answer = client.send(big)
        assert ack_fields(answer) == ("AR", "OVER-1")
        assert "Message trop volumineux" in m.ack_text(answer)
        assert ack_fields(client.send(a28(hospital, "IPP-OK", control="AFTER-1"))) == ("AA", "AFTER-1")
    assert not PatientIdentifier.objects.filter(value="IPP-OV").exists()
    assert list(Hl7Message.objects.values_list("control_id", flat=True)) == ["AFTER-1"]


def test_client_disconnecting_mid_frame_does_not_hurt_the_server(listener, hospital):
    wire = frame(a28(hospital, "IPP-D1", control="CUT-1"))
    with Client(listener.port) as client:
        client.sock.sendall(wire[: len(wire) // 2])
    with Client(listener.port) as client:  # reset mid-frame
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        client.sock.sendall(wire[:10])
    with Client(listener.port) as client:
        assert ack_fields(client.send(a28(hospital, "IPP-D2", control="CUT-2"))) == ("AA", "CUT-2")
    assert list(Hl7Message.objects.values_list("control_id", flat=True)) == ["CUT-2"]


def test_idle_connection_is_closed(start_listener, hospital):
    listener = start_listener(idle_seconds=0.3)
    with Client(listener.port) as client:
        time.sleep(0.6)
        assert client.sock.recv(10) == b""  # closed by the server
    with Client(listener.port) as client:
        assert ack_fields(client.send(a28(hospital, "IPP-I1", control="IDLE-1"))) == ("AA", "IDLE-1")


def test_processing_threads_are_bounded(start_listener):
    active, peak, lock = 0, 0, threading.Lock()

    def slow(payload: bytes, *, peer: str = "", channel=None) -> bytes:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.15)
        with lock:
            active -= 1
        return b"MSH|^~\\&|ONCODCC||||20261121||ACK|1|P|2.5\rMSA|AA|" + payload[4:] + b"\r"

    listener = start_listener(handler=slow, workers=3)
    answers: list[tuple[str, str]] = []

    def send(k: int) -> None:
        with Client(listener.port) as client:
            answers.append(ack_fields(client.send(f"MSH|{k:05d}".encode())))

    started = time.perf_counter()
    threads = [threading.Thread(target=send, args=(k,)) for k in range(9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    elapsed = time.perf_counter() - started

    assert sorted(answers) == sorted(("AA", f"{k:05d}") for k in range(9))
    assert peak == 3
    assert 0.45 <= elapsed < 3  # 9 messages of 0.15 s, 3 at a time


def test_a_handler_that_raises_still_gets_an_answer(start_listener):
    def broken(payload: bytes, *, peer: str = "", channel=None) -> bytes:
        raise RuntimeError("bug")

    listener = start_listener(handler=broken)
    with Client(listener.port) as client:
        answer = client.send(b"MSH|^~\\&|DPI|CHU|ONCODCC|DSRC|20261121||ADT^A28|BUG-1|P|2.5\r")
        assert ack_fields(answer) == ("AE", "BUG-1")
        assert ack_fields(client.send(b"MSH|^~\\&|DPI|CHU|ONCODCC|DSRC|20261121||ADT^A28|BUG-2|P|2.5\r")) == (
            "AE", "BUG-2")


def test_graceful_stop_finishes_the_message_in_flight(start_listener, hospital):
    entered, release = threading.Event(), threading.Event()

    def gated(payload: bytes, *, peer: str = "", channel=None) -> bytes:
        entered.set()
        release.wait(TIMEOUT)
        return handle_message(payload, peer=peer, channel=channel)

    listener = start_listener(handler=gated)
    idle = Client(listener.port)
    with Client(listener.port) as client:
        client.sock.sendall(frame(a28(hospital, "IPP-STOP", control="STOP-1")))
        assert entered.wait(TIMEOUT)
        stopper = threading.Thread(target=listener.close)
        stopper.start()
        time.sleep(0.2)
        with pytest.raises(OSError):  # no longer accepting
            socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
        assert idle.sock.recv(10) == b""  # a connection waiting for bytes is closed at once
        release.set()
        assert ack_fields(client.read()) == ("AA", "STOP-1")
        stopper.join(TIMEOUT)
    idle.close()
    assert not stopper.is_alive() and not listener.is_alive()
    assert PatientIdentifier.objects.filter(value="IPP-STOP").exists()
