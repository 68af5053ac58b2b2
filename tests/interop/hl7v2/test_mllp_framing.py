"""The MLLP deframer alone (no socket, no database): frames cut anywhere, garbage, restarts, the size bound."""

from hypothesis import given, settings
from hypothesis import strategies as st

from oncodcc.interop.hl7v2.framing import Deframer, Discarded, Frame, Oversized, frame

MSG = b"MSH|^~\\&|DPI|CHU|ONCODCC|DSRC|20261120||ADT^A28^ADT_A05|1|P|2.5\rPID|||1^^^CHU&1.2.3&ISO^PI\r"


def feed_all(deframer: Deframer, chunks) -> list:
    events = []
    for chunk in chunks:
        events += deframer.feed(chunk)
    return events


def frames(events) -> list[bytes]:
    return [e.payload for e in events if isinstance(e, Frame)]


def test_one_frame_in_one_packet():
    assert frames(Deframer(1000).feed(frame(MSG))) == [MSG]


def test_frame_split_byte_by_byte():
    data = frame(MSG) + frame(b"MSH|2")
    assert frames(feed_all(Deframer(1000), [data[i:i + 1] for i in range(len(data))])) == [MSG, b"MSH|2"]


def test_end_block_split_between_packets():
    d = Deframer(1000)
    assert frames(d.feed(b"\x0bMSH|1\x1c")) == []
    assert d.in_frame
    assert frames(d.feed(b"\r")) == [b"MSH|1"]
    assert not d.in_frame


def test_lone_fs_inside_a_frame_is_content():
    assert frames(Deframer(1000).feed(b"\x0bMSH|a\x1cb\x1c\r")) == [b"MSH|a\x1cb"]


def test_bytes_outside_frames_are_discarded_and_counted():
    events = Deframer(1000).feed(b"junk" + frame(b"MSH|1") + b"\r\n" + frame(b"MSH|2") + b"tail")
    assert frames(events) == [b"MSH|1", b"MSH|2"]
    discarded = [e for e in events if isinstance(e, Discarded)]
    assert [(e.size, e.whitespace_only) for e in discarded] == [(4, False), (2, True), (4, False)]


def test_new_start_block_abandons_an_unterminated_frame():
    events = Deframer(1000).feed(b"\x0bMSH|cut short" + frame(b"MSH|2"))
    assert frames(events) == [b"MSH|2"]
    assert any(isinstance(e, Discarded) and e.abandoned_frame and e.size == len(b"MSH|cut short") for e in events)


def test_oversized_frame_reported_once_then_resynchronised():
    d = Deframer(100)
    big = b"MSH|^~\\&|DPI|CHU|||20261120||ORU^R01|BIG1|P|2.5\r" + b"x" * 1000
    wire = frame(big) + frame(b"MSH|small")
    events = feed_all(d, [wire[i:i + 64] for i in range(0, len(wire), 64)])
    oversized = [e for e in events if isinstance(e, Oversized)]
    assert len(oversized) == 1 and oversized[0].head.startswith(b"MSH|^~\\&|DPI|CHU") and oversized[0].limit == 100
    assert frames(events) == [b"MSH|small"]
    assert len(d.buffer) == 0


def test_memory_stays_bounded_while_an_oversized_frame_streams_in():
    d = Deframer(1000)
    d.feed(b"\x0bMSH|")
    peak = 0
    for _ in range(500):
        d.feed(b"y" * 4096)
        peak = max(peak, len(d.buffer))
    assert peak <= 1000 + 4096
    d.feed(b"\x1c\r" + frame(b"MSH|next"))  # the end of the big frame, then a normal one
    assert not d.in_frame


def test_oversized_end_split_across_packets_while_skipping():
    d = Deframer(10)
    events = feed_all(d, [b"\x0b" + b"z" * 50 + b"\x1c", b"\r", frame(b"MSH|ok")])
    assert [type(e) for e in events if not isinstance(e, Discarded)] == [Oversized, Frame]


def test_frame_of_exactly_the_limit_is_accepted():
    payload = b"M" * 100
    wire = frame(payload)
    assert frames(feed_all(Deframer(100), [wire[:-1], wire[-1:]])) == [payload]
    assert [type(e) for e in Deframer(99).feed(wire)] == [Oversized]


def test_frame_for_the_wire_never_carries_block_characters():
    assert frame(b"MSA|AA|a\x1c\rb\x0b") == b"\x0bMSA|AA|a\rb\x1c\r"


payloads = st.lists(st.binary(max_size=300).map(lambda b: b.replace(b"\x0b", b"").replace(b"\x1c", b"")),
                    min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(payloads=payloads, cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=20),
       junk=st.binary(max_size=20).map(lambda b: b.replace(b"\x0b", b"")))
def test_any_cutting_of_the_stream_gives_the_same_frames(payloads, cuts, junk):
    wire = junk.join(frame(p) for p in payloads)
    points = sorted({c % (len(wire) + 1) for c in cuts})
    chunks = [wire[a:b] for a, b in zip([0, *points], [*points, len(wire)], strict=True)]
    assert frames(feed_all(Deframer(10_000), chunks)) == payloads
