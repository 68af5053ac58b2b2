"""MLLP framing at the byte level: <VT> message <FS><CR> (HL7 v2.5 appendix C, MLLP release 1).

Pure bytes, no I/O: the listener (`mllp.py`) feeds what it reads and gets frames back. The message bytes are not
decoded here: the charset belongs to each message (MSH-18) and is read by the processing."""

from dataclasses import dataclass

SB = b"\x0b"  # start block <VT>
EB = b"\x1c"  # end block <FS>
CR = b"\r"
END = EB + CR
HEAD_BYTES = 4096  # kept from an oversized frame: enough for its MSH (to echo MSH-10 in the AR)



@dataclass
class Frame:
    payload: bytes


@dataclass
class Oversized:
    head: bytes  # the first bytes of the frame (its MSH), to address the AR
    limit: int


@dataclass
class Discarded:
    """Bytes thrown away: outside any frame, or an unterminated frame abandoned when a new <VT> arrived."""

    size: int
    abandoned_frame: bool = False
    whitespace_only: bool = False


class Deframer:
    """Cuts a TCP byte stream into MLLP frames. Memory stays bounded: a frame growing past `max_bytes` is reported
    once (Oversized) and the rest of it skipped up to its <FS><CR> (or the next <VT>), where reading resynchronises."""

    OUTSIDE, INSIDE, SKIPPING = "outside", "inside", "skipping"

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.state = self.OUTSIDE
        self.buffer = bytearray()
        self._scanned = 0  # bytes of the buffer already searched for <FS><CR> / <VT>
        self._skip_last = b""  # last byte seen while skipping (an <FS> whose <CR> comes in the next packet)

    @property
    def in_frame(self) -> bool:
        return self.state != self.OUTSIDE

    def feed(self, data: bytes) -> list:
        events: list = []
        pos = 0
        while pos < len(data):
            if self.state == self.OUTSIDE:
                start = data.find(SB, pos)
                if start < 0:
                    events.append(_discarded(data[pos:]))
                    break
                if start > pos:
                    events.append(_discarded(data[pos:start]))
                self.state, self.buffer, self._scanned = self.INSIDE, bytearray(), 0
                pos = start + 1
            elif self.state == self.INSIDE:
                pos = self._inside(data, pos, events)
            else:
                pos = self._skipping(data, pos)
        return events

    def _inside(self, data: bytes, pos: int, events: list) -> int:
        self.buffer += data[pos:]
        # An <FS> at the very end of the previous packet may be completed by this packet's <CR>.
        search_from = max(self._scanned - 1, 0)
        end = self.buffer.find(END, search_from)
        restart = self.buffer.find(SB, self._scanned, end if end >= 0 else len(self.buffer))
        if restart >= 0:
            # A new <VT> before this frame ended: the sender gave up on it and started again.
            consumed_of_data = len(data) - (len(self.buffer) - restart - 1)
            events.append(Discarded(restart, abandoned_frame=True))
            self.state, self.buffer, self._scanned = self.INSIDE, bytearray(), 0
            return consumed_of_data
        if end >= 0:
            payload = bytes(self.buffer[:end])
            rest_in_buffer = len(self.buffer) - end - len(END)
            self.state, self.buffer, self._scanned = self.OUTSIDE, bytearray(), 0
            if len(payload) > self.max_bytes:
                events.append(Oversized(payload[:HEAD_BYTES], self.max_bytes))
            else:
                events.append(Frame(payload))
            return len(data) - rest_in_buffer
        self._scanned = len(self.buffer)
        if len(self.buffer) > self.max_bytes + 1:  # +1: a trailing <FS> may still be the end of a legal frame
            events.append(Oversized(bytes(self.buffer[:HEAD_BYTES]), self.max_bytes))
            self._skip_last = bytes(self.buffer[-1:])
            self.state, self.buffer, self._scanned = self.SKIPPING, bytearray(), 0
        return len(data)

    def _skipping(self, data: bytes, pos: int) -> int:
        if self._skip_last == EB and data[pos:pos + 1] == CR:
            self.state = self.OUTSIDE
            return pos + 1
        end = data.find(END, pos)
        start = data.find(SB, pos)
        if start >= 0 and (end < 0 or start < end):
            self.state = self.OUTSIDE
            return start
        if end >= 0:
            self.state = self.OUTSIDE
            return end + len(END)
        self._skip_last = data[-1:]
        return len(data)


def _discarded(chunk: bytes) -> Discarded:
    return Discarded(len(chunk), whitespace_only=not chunk.strip())


def frame(payload: bytes) -> bytes:
    """Wrap a message for the wire. <VT> and <FS> cannot appear inside a frame: an ACK that echoes them (from a
    mangled control id) would cut the sender's reading short, so they are dropped."""
    if SB in payload or EB in payload:
        payload = payload.replace(SB, b"").replace(EB, b"")
    return SB + payload + END
