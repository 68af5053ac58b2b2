"""Text helpers shared by every app: search normalisation and input hygiene."""

import re
import unicodedata

# C0/C1 control characters except tab, LF and CR: PostgreSQL refuses NUL in text, and none belongs in a record.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def fold(value: str) -> str:
    """Accent- and case-insensitive form used for searching names: 'Éloïse D'Aubigné' -> 'eloise d aubigne'."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    lowered = without_marks.casefold().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", lowered).split())


def has_control_chars(value: str) -> bool:
    return bool(_CONTROL_CHARS.search(value or ""))


def strip_control_chars(value: str) -> str:
    """Remove control characters (PostgreSQL refuses NUL in text parameters, even in a WHERE clause)."""
    return _CONTROL_CHARS.sub("", value or "")
