"""Property over the socket: mutated valid messages (byte flips, truncation, inserted <VT>/<FS>/CR), with garbage
around the frames, are each answered with an ACK (AA, AE or AR) or, when the framing itself is broken, skipped; the
listener keeps serving and a valid message sent after each of them is accepted."""

import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncodcc.interop.hl7v2.framing import END, SB, frame
from oncodcc.interop.hl7v2.mllp import ListenerThread
from tests import samples

from . import messages as m
from .conftest import workers_for_test_database
from .test_mllp import Client, ack_fields

pytestmark = pytest.mark.django_db(transaction=True)
BIRTH = date(1981, 11, 2)
OID = "1.2.250.1.999.66.1"
_probe = itertools.count(1)


def bases(oid: str) -> list[bytes]:
    pid = m.pid(ipp="IPP-FZ", oid=oid, birth_name="ÉTIENNE-FUZZ", given="Noé", birth_date=BIRTH, sex="M",
                status="VALI")
    cda = samples.cda_report(birth_name="ÉTIENNE-FUZZ", given="Noé", birth_date=BIRTH, sex="M", ipp="IPP-FZ",
                             hospital_oid=oid, doc_id="2b7e3c1a-0c55-4d7e-9a11-7f00d0c0ffee")
    return [
        m.adt("A28", pid, control="FZ-1"),
        m.adt("A31", pid, control="FZ-2", charset="8859/1"),
        m.oru(pid, m.cda_obx(1, cda), control="FZ-3", meta=False),
    ]


def mutate(data: bytes, operations) -> bytes:
    for kind, position, value in operations:
        i = position % (len(data) + 1)
        if kind == "flip" and data:
            i = min(i, len(data) - 1)
            data = data[:i] + bytes([value]) + data[i + 1:]
        elif kind == "truncate":
            data = data[:i]
        elif kind == "insert":
            data = data[:i] + (b"\x0b", b"\x1c", b"\r", b"\x1c\r", b"|", b"^", b"\\")[value % 7] + data[i:]
    return data


operations = st.lists(st.tuples(st.sampled_from(["flip", "truncate", "insert"]),
                                st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=255)),
                      min_size=1, max_size=4)


@pytest.fixture
def fuzz_sender(sender):
    sender.organisation.oid = OID
    sender.organisation.save(update_fields=["oid"])
    return sender


@pytest.fixture
def listener(fuzz_sender):
    thread = ListenerThread(workers=workers_for_test_database())
    thread.start()
    yield thread
    thread.close(grace=10)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(base=st.integers(min_value=0, max_value=2), ops=operations,
       before=st.binary(max_size=12), after=st.binary(max_size=12))
def test_every_mutated_message_is_answered_and_the_listener_keeps_serving(listener, base, ops,
                                                                          before, after):
    mutated = mutate(bases(OID)[base], ops)
    probe_id = f"PROBE-{next(_probe)}"
    probe = m.adt("A31", m.pid(ipp="IPP-PROBE", oid=OID, birth_name="SONDE", given="Valide", birth_date=BIRTH,
                               sex="F"), control=probe_id)
    with Client(listener.port) as client:
        client.sock.sendall(before + frame_raw(mutated) + after + frame(probe))
        answers = []
        while True:
            code, control = ack_fields(client.read())
            assert code in ("AA", "AE", "AR")
            if control == probe_id:
                break
            answers.append(code)
    assert code == "AA"
    framing_intact = SB not in mutated + before + after and END not in mutated
    if framing_intact:
        assert len(answers) == 1  # exactly one ACK for the mutated message


def frame_raw(payload: bytes) -> bytes:
    """Framed as is: the mutation may put <VT> or <FS><CR> inside the frame on purpose."""
    return SB + payload + END


def test_a_valid_message_is_still_accepted_after_the_storm(listener):
    with Client(listener.port) as client:
        # Two abandoned starts, then every byte value: the <VT> among them opens a frame of junk, answered AR.
        client.sock.sendall(b"\x1c\r\x0b\x0b\x1c" + bytes(range(256)) + b"\x1c\r")
        assert ack_fields(client.read()) == ("AR", "")
        answer = client.send(m.adt("A28", m.pid(ipp="IPP-LAST", oid=OID, birth_name="DERNIER", given="Jules",
                                                birth_date=BIRTH, sex="M"), control="LAST-1"))
    assert ack_fields(answer) == ("AA", "LAST-1")
