"""Reading an HL7 v2 message: the MSH header read leniently from the bytes (enough to answer even garbage), the
charset chosen from MSH-18, then the whole message parsed with python-hl7 and accessed through small helpers that
decode escape sequences.

python-hl7's own `unescape` is not used: it logs the field content when a sequence is malformed (identities in the
application log) and turns `\\X..\\` into code points instead of bytes of the message's charset."""

from dataclasses import dataclass, field

import hl7
from hl7.exceptions import ParseException

from oncodcc.core.text import strip_control_chars

# MSH-18 (HL7 table 0211) → Python codec. Absent: UTF-8 (with a fallback to ISO 8859-1 when it does not decode).
CHARSETS = {
    "": "utf-8",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
    "ASCII": "utf-8",  # a subset: decoding as UTF-8 is exact for valid ASCII
    "8859/1": "iso-8859-1",
    "8859/15": "iso-8859-15",
}
DEFAULT_SEPARATORS = "|^~\\&"


class MessageError(Exception):
    """The message cannot be read at all (for the ACK: AR/AE with the French reason)."""


@dataclass
class Header:
    """MSH as far as it could be read. `usable` is False when the bytes do not start with a readable MSH."""

    usable: bool = False
    field_sep: str = "|"
    component_sep: str = "^"
    repetition_sep: str = "~"
    escape: str = "\\"
    subcomponent_sep: str = "&"
    sending_application: str = ""
    sending_facility: str = ""
    receiving_application: str = ""
    receiving_facility: str = ""
    message_code: str = ""
    trigger_event: str = ""
    structure: str = ""
    control_id: str = ""
    processing_id: str = ""
    version: str = ""
    charset: str = ""
    problem: str = ""

    @property
    def message_type(self) -> str:
        return "^".join(part for part in (self.message_code, self.trigger_event) if part)

    @property
    def encoding_characters(self) -> str:
        return self.component_sep + self.repetition_sep + self.escape + self.subcomponent_sep


def _clean(value: str, limit: int = 100) -> str:
    return strip_control_chars(value).strip()[:limit]


def read_header(payload: bytes) -> Header:
    """Read MSH from the raw bytes without trusting anything (ISO 8859-1 never fails to decode: MSH is ASCII)."""
    text = payload.decode("iso-8859-1").lstrip("\x0b\r\n\t ")
    first = text.replace("\n", "\r").split("\r", 1)[0]
    header = Header()
    if not first.startswith("MSH") or len(first) < 8:
        header.problem = "Segment MSH absent ou illisible en tête du message."
        header.control_id = _loose_control_id(first)
        return header
    sep = first[3]
    end = first.find(sep, 4)
    encoding_chars = first[4:end] if end > 0 else ""
    fields = first.split(sep)
    header.control_id = _clean(fields[9]) if len(fields) > 9 else ""
    if sep.isalnum() or sep.isspace() or len(encoding_chars) < 4 or len(set(sep + encoding_chars[:4])) != 5 or any(
        ch.isalnum() or ch.isspace() for ch in encoding_chars[:4]
    ):
        header.problem = "Séparateurs du segment MSH (MSH-1, MSH-2) invalides."
        return header
    header.field_sep = sep
    header.component_sep, header.repetition_sep, header.escape, header.subcomponent_sep = encoding_chars[:4]

    def comp(index: int, position: int = 1) -> str:
        if len(fields) <= index:
            return ""
        first_rep = fields[index].split(header.repetition_sep)[0]
        parts = first_rep.split(header.component_sep)
        value = parts[position - 1] if len(parts) >= position else ""
        return _clean(unescape(value.split(header.subcomponent_sep)[0], header, "iso-8859-1"))

    # fields[0] is "MSH", fields[1] the encoding characters: MSH-n is fields[n - 1].
    header.sending_application = comp(2)
    header.sending_facility = comp(3)
    header.receiving_application = comp(4)
    header.receiving_facility = comp(5)
    header.message_code = comp(8, 1).upper()[:10]
    header.trigger_event = comp(8, 2).upper()[:10]
    header.structure = comp(8, 3).upper()[:20]
    header.control_id = comp(9)[:50]
    header.processing_id = comp(10)[:3]
    header.version = comp(11)[:10]
    header.charset = comp(17).upper()[:30]
    header.usable = True
    return header


def _loose_control_id(first_line: str) -> str:
    if first_line.startswith("MSH") and len(first_line) > 3:
        parts = first_line.split(first_line[3])
        if len(parts) > 9:
            return _clean(parts[9], 50)
    return ""


@dataclass
class Decoded:
    text: str
    codec: str
    note: str = ""


def decode(payload: bytes, header: Header) -> Decoded:
    """Decode the message in the charset named by MSH-18; UTF-8 that does not decode falls back to ISO 8859-1
    (recorded in the log row), other charsets are refused."""
    codec = CHARSETS.get(header.charset)
    if codec is None:
        raise MessageError(f"Jeu de caractères non pris en charge (MSH-18) : {header.charset}.")
    try:
        return Decoded(payload.decode(codec), codec)
    except UnicodeDecodeError:
        if codec != "utf-8":
            raise MessageError(f"Le message n'est pas encodé en {header.charset} comme l'annonce MSH-18.") from None
        return Decoded(payload.decode("iso-8859-1"), "iso-8859-1", "UTF-8 invalide : lu en ISO 8859-1")


def unescape(value: str, header: Header, codec: str) -> str:
    """Decode HL7 escape sequences (2.7 of chapter 2): separators, \\X..\\ bytes in the message charset, formatting
    (\\.br\\ → line break); highlighting and charset switches are dropped."""
    esc = header.escape
    if not value or esc not in value:
        return value
    out: list[str] = []
    i, n = 0, len(value)
    while i < n:
        ch = value[i]
        if ch != esc:
            out.append(ch)
            i += 1
            continue
        end = value.find(esc, i + 1)
        if end < 0:  # unterminated: keep the rest literally
            out.append(value[i:])
            break
        out.append(_sequence(value[i + 1:end], header, codec))
        i = end + 1
    return "".join(out)


def _sequence(seq: str, header: Header, codec: str) -> str:
    simple = {"F": header.field_sep, "S": header.component_sep, "R": header.repetition_sep, "E": header.escape,
              "T": header.subcomponent_sep, ".br": "\n", ".sp": "\n", ".ce": "\n"}
    if seq in simple:
        return simple[seq]
    if seq[:1] == "X" and len(seq) > 1:
        try:
            data = bytes.fromhex(seq[1:])
        except ValueError:
            return ""
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            return data.decode("iso-8859-1")
    return ""  # \H\, \N\, \Cxxyy\, \Mxxyyzz\, .sp<n>, unknown: formatting only


# --- The parsed message -------------------------------------------------------------------------------------------


@dataclass
class Segment:
    """One segment: `fields[n]` is HL7 field n as a list of repetitions, each a list of components, each a list of
    sub-components (raw, still escaped). MSH keeps HL7 numbering too (MSH-1 is the field separator)."""

    name: str
    fields: list = field(default_factory=list)
    message: "Message | None" = None

    def repetitions(self, number: int) -> list[list[list[str]]]:
        return self.fields[number] if 0 < number < len(self.fields) else []

    def get(self, number: int, component: int = 1, sub: int = 1, rep: int = 1) -> str:
        reps = self.repetitions(number)
        if len(reps) < rep:
            return ""
        return self.message.component(reps[rep - 1], component, sub)

    def has(self, number: int) -> bool:
        return any(any(any(s for s in comp) for comp in r) for r in self.repetitions(number))


@dataclass
class Message:
    header: Header
    codec: str
    segments: list[Segment]
    note: str = ""

    def all(self, name: str) -> list[Segment]:
        return [segment for segment in self.segments if segment.name == name]

    def first(self, name: str) -> Segment | None:
        found = self.all(name)
        return found[0] if found else None

    def text(self, value: str) -> str:
        return unescape(value, self.header, self.codec)

    def component(self, repetition: list[list[str]], component: int = 1, sub: int = 1) -> str:
        if len(repetition) < component:
            return ""
        subs = repetition[component - 1]
        return self.text(subs[sub - 1]) if len(subs) >= sub else ""


def _normalise(node) -> list:
    """python-hl7 collapses levels without separators into strings: give every field the same depth."""
    if isinstance(node, str):
        return [[[node]]]
    reps = []
    for rep in node:
        if isinstance(rep, str):
            reps.append([[rep]])
            continue
        comps = []
        for comp in rep:
            comps.append([comp] if isinstance(comp, str) else [str(s) for s in comp])
        reps.append(comps)
    return reps


def parse(payload: bytes, header: Header) -> Message:
    """Decode and parse with python-hl7. Segments are separated by CR; LF and CRLF are tolerated."""
    decoded = decode(payload, header)
    text = decoded.text.replace("\r\n", "\r").replace("\n", "\r").strip("\x0b\x1c\r\n\t ")
    try:
        parsed = hl7.parse(text, encoding=decoded.codec)
    except (ParseException, ValueError, IndexError, AssertionError) as exc:
        raise MessageError("Message HL7 illisible (structure des segments).") from exc
    message = Message(header=header, codec=decoded.codec, segments=[], note=decoded.note)
    for raw_segment in parsed:
        name = str(raw_segment[0][0]) if len(raw_segment) and len(raw_segment[0]) else ""
        if not name:
            continue
        fields: list = [[[[name]]]]
        if name == "MSH":
            fields += [[[[header.field_sep]]], [[[header.encoding_characters]]]]
            fields += [_normalise(f) for f in raw_segment[3:]]
        else:
            fields += [_normalise(f) for f in raw_segment[1:]]
        message.segments.append(Segment(name=name.strip().upper()[:3], fields=fields, message=message))
    if not message.segments or message.segments[0].name != "MSH":
        raise MessageError("Le message doit commencer par le segment MSH.")
    return message
