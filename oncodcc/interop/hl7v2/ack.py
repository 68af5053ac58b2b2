"""The acknowledgement (original mode): MSH + MSA, and ERR when the message is not accepted (or accepted with a
warning). Written with the
sender's own separators and in the message's charset, so that its parser reads our answer like its own messages."""

import functools
import itertools
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from .parsing import DEFAULT_SEPARATORS, Header

APPLICATION = "ONCODCC"

# HL7 table 0357 (message error condition codes) used here.
SEGMENT_SEQUENCE = "100"
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
TABLE_VALUE_NOT_FOUND = "103"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_EVENT = "201"
UNSUPPORTED_PROCESSING_ID = "202"
UNSUPPORTED_VERSION = "203"
UNKNOWN_KEY = "204"
DUPLICATE_KEY = "205"
INTERNAL_ERROR = "207"
TEXTS_0357 = {
    "100": "Segment sequence error", "101": "Required field missing", "102": "Data type error",
    "103": "Table value not found", "200": "Unsupported message type", "201": "Unsupported event code",
    "202": "Unsupported processing id", "203": "Unsupported version id", "204": "Unknown key identifier",
    "205": "Duplicate key identifier", "206": "Application record locked", "207": "Application internal error",
}
# Our charset name in MSH-18 for each codec, when the sender did not name one.
CHARSET_NAMES = {"utf-8": "UNICODE UTF-8", "iso-8859-1": "8859/1", "iso-8859-15": "8859/15"}


@dataclass
class Problem:
    """Why a message is not accepted: ACK code (AE: correct and resend; AR: rejected as such), HL7 0357 code,
    location (segment, its sequence, field) and the French reason shown to the sender's users. With severity W
    (HL7 table 0516, warning) and AA, what the sender should know about a message that was accepted."""

    ack_code: str
    code: str
    reason: str
    segment: str = ""
    sequence: int = 1
    field: int | None = None
    severity: str = "E"


class Refused(Exception):
    """Raised by a handler: the message is answered with this problem and nothing it wrote is kept."""

    def __init__(self, problem: Problem):
        super().__init__(problem.reason)
        self.problem = problem


def warning(reason: str, *, code: str = DATA_TYPE_ERROR, segment: str = "PID", field: int | None = 3) -> Problem:
    """An accepted message's warning (AA, ERR-4 = W): e.g. an INS set aside, the identity filed without it."""
    return Problem("AA", code, reason, segment, 1, field, severity="W")


def error(code: str, reason: str, *, segment: str = "", field: int | None = None, sequence: int = 1,
          ack_code: str = "AE") -> Refused:
    return Refused(Problem(ack_code, code, reason, segment, sequence, field))


_counter = itertools.count(1)
_counter_lock = threading.Lock()


def new_control_id() -> str:
    """Unique within this process and across restarts (timestamp + counter), ≤ 20 characters (ST of MSH-10)."""
    with _counter_lock:
        number = next(_counter) % 100000
    return timezone.now().strftime("%y%m%d%H%M%S%f")[:15] + f"{number:05d}"


def facility() -> str:
    """MSH-4 of our ACKs: settings.HL7_FACILITY, else the DSRC's short name (read once), else the region's name."""
    return getattr(settings, "HL7_FACILITY", "") or _dsrc_name() or settings.DCC_REGION_NAME


@functools.cache
def _dsrc_name() -> str:
    from oncodcc.directory.models import Organisation

    try:
        dsrc = Organisation.objects.filter(kind=Organisation.Kind.DSRC, active=True).order_by("pk").first()
    except DatabaseError:
        return ""
    return (dsrc.short_name or dsrc.name) if dsrc is not None else ""


def escape(value: str, header: Header) -> str:
    """Escape our own text (French reasons, echoed values) with the sender's separators; line breaks as \\.br\\."""
    esc = header.escape
    table = {esc: "E", header.field_sep: "F", header.component_sep: "S", header.repetition_sep: "R",
             header.subcomponent_sep: "T"}
    out = []
    for ch in value:
        if ch in table:
            out.append(f"{esc}{table[ch]}{esc}")
        elif ch in "\r\n":
            out.append(f"{esc}.br{esc}")
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0:
            continue
        else:
            out.append(ch)
    return "".join(out)


def build(header: Header, ack_code: str, *, codec: str = "utf-8", problem: Problem | None = None) -> bytes:
    """The ACK bytes. With an unusable MSH the standard separators are used and only MSH-10 is echoed."""
    if not header.usable:
        header = Header(control_id=header.control_id, charset="")
    f, c = header.field_sep, header.component_sep

    def e(value: str) -> str:
        return escape(value, header)

    event = e(header.trigger_event)
    charset = header.charset or ("" if codec == "utf-8" else CHARSET_NAMES.get(codec, ""))
    msh = [
        "MSH", header.encoding_characters if header.usable else DEFAULT_SEPARATORS[1:],
        APPLICATION, e(facility()), e(header.sending_application), e(header.sending_facility),
        timezone.localtime().strftime("%Y%m%d%H%M%S"), "", f"ACK{c}{event}{c}ACK" if event else "ACK",
        new_control_id(), e(header.processing_id or "P"), "2.5", "", "", "", "", "", e(charset),
    ]
    while msh and msh[-1] == "":
        msh.pop()
    msa = ["MSA", ack_code, e(header.control_id)]
    if problem is not None:
        msa.append(e(problem.reason[:80]))
    segments = [f.join(msh), f.join(msa)]
    if problem is not None:
        location = ""
        if problem.segment:
            location = c.join(
                [problem.segment, str(problem.sequence), str(problem.field) if problem.field else ""]
            ).rstrip(c)
        code = c.join([problem.code, TEXTS_0357.get(problem.code, ""), "HL70357"])
        # ERR-1 (deprecated) empty; ERR-2 location; ERR-3 code; ERR-4 severity; ERR-8 the reason for a user.
        segments.append(f.join(["ERR", "", location, code, problem.severity, "", "", "", e(problem.reason)]))
    text = "\r".join(segments) + "\r"
    if codec != "utf-8":  # typographic characters of our French texts that ISO 8859-1 lacks
        text = text.replace("—", "-").replace("’", "'").replace("œ", "oe").replace("Œ", "OE")
    return text.encode(codec, errors="replace")
