"""MSH read from raw bytes, escape sequences both ways, the ACK read back by python-hl7."""

import hl7
import pytest

from oncodcc.interop.hl7v2 import ack
from oncodcc.interop.hl7v2.models import Hl7Message
from oncodcc.interop.hl7v2.parsing import Header, read_header, unescape

STANDARD = Header(usable=True)


@pytest.mark.parametrize(("raw", "codec", "text"), [
    ("A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\", "utf-8", "A|B^C&D~E\\"),
    ("ligne 1\\.br\\ligne 2", "utf-8", "ligne 1\nligne 2"),
    ("\\XC3A9\\t\\XC3A9\\", "utf-8", "été"),
    ("\\XE9\\t\\XE9\\", "iso-8859-1", "été"),
    ("\\XE9\\", "utf-8", "é"),  # not UTF-8: read as ISO 8859-1 rather than dropped
    ("\\H\\gras\\N\\", "utf-8", "gras"),
    ("\\Xzz\\ok", "utf-8", "ok"),
    ("fin \\F", "utf-8", "fin \\F"),  # unterminated: kept as is
    ("sans échappement", "utf-8", "sans échappement"),
])
def test_unescape(raw, codec, text):
    assert unescape(raw, STANDARD, codec) == text


def test_read_header_with_custom_separators_and_escaped_values():
    header = read_header(b"\x0bMSH#$@\\%#APP\\F\\X$1#FAC#R#RF#2026##ORU$R01$ORU_R01#ID-9#T#2.5#####FRA#8859/1\r")

    assert header.usable
    assert (header.field_sep, header.encoding_characters) == ("#", "$@\\%")
    assert (header.sending_application, header.sending_facility) == ("APP#X", "FAC")
    assert (header.message_type, header.structure, header.control_id) == ("ORU^R01", "ORU_R01", "ID-9")
    assert (header.processing_id, header.version, header.charset) == ("T", "2.5", "8859/1")


@pytest.mark.parametrize("raw", [b"", b"MSH|", b"MSH|^~|A", b"MSHa^~\\&|A", b"MSH|^^\\&|A", b"XYZ|^~\\&|A"])
def test_unusable_headers(raw):
    header = read_header(raw)
    assert not header.usable and header.problem


def test_ack_text_is_escaped_and_read_back_by_python_hl7():
    header = read_header(b"MSH|^~\\&|APP|FAC|||2026||ADT^A28^ADT_A05|C|P|2.5\r")
    reason = "Motif | avec ^ séparateurs ~ & \\ et\nretour"
    data = ack.build(header, "AE", problem=ack.Problem("AE", "102", reason, "PID", 1, 7))

    message = hl7.parse(data.decode("utf-8"))
    err = message.segment("ERR")
    assert str(err[2]) == "PID^1^7" and str(err[3]) == "102^Data type error^HL70357" and str(err[4]) == "E"
    assert message.unescape(str(err[8])) == reason.replace("\n", "\r")
    assert str(message.segment("MSA")[1]) == "AE" and str(message.segment("MSA")[2]) == "C"


@pytest.mark.django_db
def test_log_row_of_a_refused_utf8_message_reads_back(sender):
    from oncodcc.interop.hl7v2.processing import handle_message

    # A registered sender's message refused by the processing (unsupported type) is logged whole.
    handle_message(f"MSH|^~\\&|{sender.application}|{sender.facility}|||2026||ZZZ^Z01|C1|P|2.5|||||FRA|UNICODE UTF-8\r"
                   "PID|1||1^^^X&1.2.3&ISO^PI||ÉLÉONORE^Zoé".encode())

    row = Hl7Message.objects.get()
    assert row.encoding == "utf-8" and "ÉLÉONORE^Zoé" in row.raw_text()
