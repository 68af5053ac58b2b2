"""Search-parameter semantics shared by the resources: tokens (`system|code`), strings (starts with, ignoring case
and accents; `:exact`, `:contains`), dates with prefixes, references to a patient, numeric ids."""

import re
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.http import HttpRequest

from oncodcc.core.text import fold
from oncodcc.rcp.models import PARIS

from .bundles import base_url
from .outcomes import invalid, not_supported
from .params import Condition

PATIENT_REFERENCE = re.compile(r"^(?:Patient/)?(?P<id>[A-Za-z0-9.-]{1,64})(?:/_history/[A-Za-z0-9.-]{1,64})?$")
PK = re.compile(r"^[1-9][0-9]{0,17}$")
DATE = re.compile(
    r"^(?P<prefix>eq|ne|lt|le|gt|ge|sa|eb)?(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d{1,9})?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$")


def any_of(conditions: list[Q]) -> Q:
    """OR of the conditions; matches nothing when there is none."""
    result = Q(pk__in=[])
    for condition in conditions:
        result |= condition
    return result


def token_pairs(condition: Condition) -> list[tuple[str | None, str]]:
    """`code` → (None, code) any system; `|code` → ("", code) no system; `system|code`; `system|` → (system, "")."""
    pairs = []
    for value in condition.values:
        if "|" in value:
            system, _, code = value.partition("|")
            pairs.append((system, code))
        else:
            pairs.append((None, value))
    return pairs


def token_codes(condition: Condition, system: str) -> list[str]:
    """The codes of a token condition whose system is `system` (or unstated)."""
    return [code for value_system, code in token_pairs(condition) if value_system in (None, "", system)]


def pks(condition: Condition) -> list[int]:
    return [int(value) for value in condition.values if PK.match(value)]


def string_matches(texts, condition: Condition) -> bool:
    """FHIR string search over one or several texts: starts with (ignoring case and accents), `:exact` (same
    text), `:contains`. Values of one condition are ORed."""
    texts = [texts] if isinstance(texts, str) else [t for t in texts if t]
    for value in condition.values:
        for text in texts:
            if condition.modifier == "exact":
                if text == value:
                    return True
            elif condition.modifier == "contains":
                if fold(value) in fold(text):
                    return True
            elif fold(text).startswith(fold(value)):
                return True
    return False


def patient_reference(request: HttpRequest, condition: Condition, value: str) -> int | None:
    """The patient a subject/patient value names: `Patient/<id>`, `<id>`, or an absolute URL on this server.
    None when it can name no patient of ours (unknown id format, another server)."""
    base = base_url(request)
    if value.startswith(base):
        value = value.removeprefix(base)
    elif value.startswith(("http://", "https://", "urn:")):
        return None
    if condition.modifier == "" and "/" in value and not value.startswith("Patient/"):
        raise not_supported("Seules les références au patient (Patient/<id>) sont prises en charge.")
    match = PATIENT_REFERENCE.match(value)
    if match is None:
        raise invalid(f"Référence de patient invalide : « {value} ».")
    return int(match["id"]) if PK.match(match["id"]) else None


def patient_ids(request: HttpRequest, conditions: list[Condition]) -> list[set[int | None]]:
    """One set of patient ids per patient/subject condition (conditions are ANDed, values ORed)."""
    return [{patient_reference(request, c, v) for v in c.values} for c in conditions]


def _interval(match: re.Match) -> tuple[datetime, datetime]:
    """[start, end) of a FHIR date/dateTime at its precision; a time without zone is Paris time."""
    year, month, day = int(match["year"]), match["month"], match["day"]
    try:
        if match["hour"] is not None:
            zone = PARIS
            if match["tz"]:
                zone = datetime.fromisoformat(f"2000-01-01T00:00{match['tz'].replace('Z', '+00:00')}").tzinfo
            start = datetime(year, int(month), int(day), int(match["hour"]), int(match["minute"]),
                             int(match["second"] or 0), tzinfo=zone)
            return start, start + (timedelta(seconds=1) if match["second"] else timedelta(minutes=1))
        if day is not None:
            start = datetime.combine(date(year, int(month), int(day)), time.min, tzinfo=PARIS)
            return start, start + timedelta(days=1)
        if month is not None:
            first = date(year, int(month), 1)
            following = date(year + (first.month == 12), first.month % 12 + 1, 1)
            return (datetime.combine(first, time.min, tzinfo=PARIS),
                    datetime.combine(following, time.min, tzinfo=PARIS))
        return (datetime.combine(date(year, 1, 1), time.min, tzinfo=PARIS),
                datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=PARIS))
    except ValueError as exc:
        raise invalid("Date de recherche invalide.") from exc


def date_filter(field: str, condition: Condition, *, is_date: bool) -> Q:
    """A date condition on a DateField (`is_date`) or a DateTimeField; values ORed."""
    filters = []
    for value in condition.values:
        match = DATE.match(value)
        if match is None or (match["hour"] is not None and match["day"] is None):
            raise invalid(f"Date de recherche invalide : « {value} » (AAAA, AAAA-MM, AAAA-MM-JJ ou instant, "
                          f"préfixes eq, ne, lt, le, gt, ge).")
        start, end = _interval(match)
        low, high = (start.astimezone(PARIS).date(), end.astimezone(PARIS).date()) if is_date else (start, end)
        if is_date and match["hour"] is not None:
            high = low + timedelta(days=1)
        prefix = match["prefix"] or "eq"
        within = Q(**{f"{field}__gte": low, f"{field}__lt": high})
        filters.append({
            "eq": within, "ne": ~within & Q(**{f"{field}__isnull": False}),
            "lt": Q(**{f"{field}__lt": low}), "eb": Q(**{f"{field}__lt": low}),
            "le": Q(**{f"{field}__lt": high}),
            "gt": Q(**{f"{field}__gte": high}), "sa": Q(**{f"{field}__gte": high}),
            "ge": Q(**{f"{field}__gte": low}),
        }[prefix])
    return any_of(filters)
