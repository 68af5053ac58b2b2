"""Property: whatever mutation of a valid message arrives, handle_message answers an ACK (MSA-1 AA, AE or AR),
never raises, and never goes through the "unexpected exception" path (which would hide a bug as AE 207)."""

from datetime import date

import hl7
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncodcc.core.text import has_control_chars
from oncodcc.interop.hl7v2 import processing
from oncodcc.interop.hl7v2.models import Hl7Message
from oncodcc.interop.hl7v2.processing import handle_message
from tests import samples

from . import messages as m

OID = "1.2.250.1.999.88.1"
BIRTH = date(1966, 6, 6)
PID = m.pid(ipp="IPP-F1", oid=OID, birth_name="ÉLOÏSE", given="Zoé Anne", birth_date=BIRTH, sex="F",
            birthplace="75056", status="VALI", used_name="DUPRÉ", used_given="Zoé")
CDA = samples.cda_report(birth_name="ÉLOÏSE", given="Zoé Anne", birth_date=BIRTH, ipp="IPP-F1", hospital_oid=OID,
                         doc_id="5f0d7a58-0f3e-4f7e-9d43-1a2b3c4d5e6f", set_id="0c9b7d1e-6f0a-4a55-8e0e-000000000001")
BASES = [
    m.adt("A28", PID, control="F-1"),
    m.adt("A31", PID, control="F-2", charset="8859/1"),
    m.adt("A40", PID, m.mrg("IPP-F0", OID), control="F-3"),
    m.adt("A47", PID, m.mrg("IPP-F0", OID), control="F-4"),
    m.oru(PID, m.cda_obx(1, CDA), control="F-5"),
    m.mdm("T10", PID, CDA, control="F-6"),
]


def _flip(data: bytes, position: int, value: int) -> bytes:
    if not data:
        return bytes([value])
    i = position % len(data)
    return data[:i] + bytes([value]) + data[i + 1:]


def _truncate(data: bytes, position: int, value: int) -> bytes:
    return data[: position % (len(data) + 1)]


def _insert(data: bytes, position: int, value: int) -> bytes:
    i = position % (len(data) + 1)
    return data[:i] + bytes([(0x0B, 0x1C, 0x0D, 0x0A, 0x00, 0x5C, 0x7C)[value % 7]]) + data[i:]


def _shuffle(data: bytes, position: int, value: int) -> bytes:
    segments = data.split(b"\r")
    if len(segments) > 1:
        i, j = position % len(segments), value % len(segments)
        segments[i], segments[j] = segments[j], segments[i]
    return b"\r".join(segments)


def _separators(data: bytes, position: int, value: int) -> bytes:
    # Change one encoding character of MSH-2 (or the field separator) without touching the rest of the message.
    i = 3 + position % 5
    return _flip(data, i, b"|^~\\&#$%@!*"[value % 11])


def _drop_segment(data: bytes, position: int, value: int) -> bytes:
    segments = data.split(b"\r")
    del segments[position % len(segments)]
    return b"\r".join(segments)


def _duplicate_segment(data: bytes, position: int, value: int) -> bytes:
    segments = data.split(b"\r")
    i = position % len(segments)
    return b"\r".join(segments[: i + 1] + segments[i:])


MUTATIONS = [_flip, _truncate, _insert, _shuffle, _separators, _drop_segment, _duplicate_segment]
mutation = st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 1_000_000), st.integers(0, 255))


@pytest.fixture
def fuzz_sender(db):
    from oncodcc.interop.hl7v2.models import Hl7Sender

    hospital = samples.hospital(oid=OID)
    return Hl7Sender.objects.create(application=m.APP, facility=m.FACILITY, organisation=hospital)


@pytest.fixture
def no_unexpected(monkeypatch):
    def fail(exc, row):
        raise AssertionError(f"unexpected {type(exc).__name__}: {exc}") from exc

    monkeypatch.setattr(processing, "_log_unexpected", fail)


def _msa1(answer: bytes) -> str:
    assert isinstance(answer, bytes) and answer.startswith(b"MSH")
    return str(hl7.parse(answer.decode("iso-8859-1")).segment("MSA")[1])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.sampled_from(BASES), mutations=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_messages_always_get_an_ack(fuzz_sender, base, mutations):
    payload = base
    for function, position, value in mutations:
        payload = function(payload, position, value)
    count = Hl7Message.objects.count()

    def fail(exc, row):
        raise AssertionError(f"unexpected {type(exc).__name__} on {payload[:300]!r}") from exc

    original = processing._log_unexpected
    processing._log_unexpected = fail
    try:
        answer = processing.receive(payload).ack  # the path under test, without the last-resort net
    finally:
        processing._log_unexpected = original
    assert _msa1(bytes(answer)) in {"AA", "AE", "AR"}
    assert _msa1(handle_message(payload)) in {"AA", "AE", "AR"}
    assert Hl7Message.objects.count() == count + 2
    # What the log stores as text must be storable on PostgreSQL too (no NUL, no control characters).
    for row in Hl7Message.objects.order_by("-pk")[:2]:
        stored = (row.error, row.notes, row.control_id, row.message_type, row.sending_application,
                  row.sending_facility, row.encoding)
        assert not any(has_control_chars(value) for value in stored), stored


def test_unmutated_bases_are_accepted(fuzz_sender, no_unexpected):
    codes = [_msa1(handle_message(base)) for base in BASES]
    # A47: IPP-F1 already held and IPP-F0 unknown, i.e. already renumbered; T10: the very document already filed.
    assert codes == ["AA"] * 6


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=st.sampled_from(["A28", "A40", "A47"]), body=st.binary(max_size=400),
       text=st.text(alphabet="PIDMRGOBX|^~\\&\r0123456789ABCLé ", max_size=300))
def test_garbage_after_a_valid_header_reaches_the_handlers_safely(fuzz_sender, no_unexpected, event, body, text):
    """Past the header checks (known sender, supported type), the parser and the handlers get the garbage."""
    payload = m.msh(f"ADT^{event}^ADT_A01").encode() + b"\r" + text.encode() + body
    assert _msa1(handle_message(payload)) in {"AA", "AE", "AR"}
