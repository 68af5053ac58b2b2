"""Search parameters, read the FHIR way and strictly: an unknown parameter or modifier is an error (400), as the
`Prefer: handling=strict` behaviour of FHIR R4 search. Repeating a parameter ANDs its conditions; commas in one
value OR them (`\\,` is a literal comma)."""

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest

from .outcomes import invalid, not_supported

# Every C0/C1 control character, tab and newlines included: none belongs in a URL parameter.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_PARAMETERS = 30
MAX_VALUE_LENGTH = 1000
DEFAULT_COUNT = 50
MAX_COUNT = 200
MAX_OFFSET = 1_000_000
NUMBER = re.compile(r"^[0-9]{1,7}$")
# Accepted on every interaction (formats are checked by the view decorator).
FORMAT_PARAMETERS = {"_format", "_pretty"}
PAGING_PARAMETERS = {"_count", "_offset", "_total"}
# `_total` is a hint (FHIR R4): "none" spares the count, "accurate" asks for it even where it costs a full scan.
TOTAL_MODES = {"none", "estimate", "accurate"}
JSON_FORMATS = {"json", "application/json", "application/fhir+json"}
OTHER_FORMATS = {"xml", "text/xml", "application/xml", "application/fhir+xml", "ttl", "application/fhir+turtle",
                 "text/turtle", "html", "text/html"}


@dataclass(frozen=True)
class Condition:
    """One occurrence of a search parameter: `name:modifier=value1,value2` (the values are ORed)."""

    name: str
    modifier: str
    values: tuple[str, ...]


@dataclass
class Search:
    conditions: list[Condition]
    count: int
    offset: int
    pretty: bool
    # The parameters as received (name with modifier, raw value), paging excluded: for the Bundle links.
    echo: list[tuple[str, str]]
    total: str = ""  # the `_total` hint, "" when not given

    def of(self, name: str) -> list[Condition]:
        return [c for c in self.conditions if c.name == name]

    def query_string(self, *, offset: int) -> str:
        pairs = [*self.echo, *([("_total", self.total)] if self.total else []), ("_count", str(self.count)),
                 ("_offset", str(offset))]
        return urlencode(pairs, safe=":|/,")


def split_values(raw: str) -> tuple[str, ...]:
    """`a,b\\,c` → ("a", "b,c"): the FHIR escapes `\\,` `\\$` `\\\\` are undone (`\\|` is kept as is)."""
    values, current, escaped = [], [], False
    for char in raw:
        if escaped:
            current.append(char if char in ",$\\" else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            values.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    values.append("".join(current))
    return tuple(values)


def _check_text(text: str, what: str) -> None:
    if CONTROL_CHARS.search(text):
        raise invalid(f"Caractère de contrôle interdit dans {what}.")
    if len(text) > MAX_VALUE_LENGTH:
        raise invalid(f"{what[0].upper()}{what[1:]} trop long.")


def _items(request: HttpRequest) -> list[tuple[str, str]]:
    items = [(name, value) for name in request.GET for value in request.GET.getlist(name)]
    if len(items) > MAX_PARAMETERS:
        raise invalid(f"Trop de paramètres (au plus {MAX_PARAMETERS}).")
    for name, value in items:
        _check_text(name, "le nom d'un paramètre")
        _check_text(value, f"le paramètre « {name} »")
    return items


def _single(items: list[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in items if key == name]
    if len(values) > 1:
        raise invalid(f"Le paramètre « {name} » ne peut être donné qu'une fois.")
    return values[0] if values else None


def _number(raw: str | None, name: str, *, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    if not NUMBER.match(raw):
        raise invalid(f"« {name} » doit être un entier positif ou nul.")
    value = int(raw)
    if value > maximum:
        if name == "_count":
            return maximum  # a server may return fewer entries than asked (the self link says how many)
        raise invalid(f"« {name} » ne peut dépasser {maximum}.")
    return value


def media_ranges(header: str) -> set[str]:
    return {part.split(";")[0].strip().lower() for part in header.split(",")}


def accepts_json(header: str) -> bool:
    return bool(media_ranges(header) & (JSON_FORMATS | {"*/*", "application/*", ""}))


def check_format(request: HttpRequest, *, accept: bool = True) -> bool:
    """Only JSON is served: `_format` or an Accept header asking for something else is answered 406 (`accept`
    False: the view negotiates the Accept header itself). Returns whether `_pretty=true` was asked."""
    items = _items(request)
    fmt = _single(items, "_format")
    if fmt:
        media = fmt.split(";")[0].strip().lower()
        if media in OTHER_FORMATS:
            raise not_supported(f"Format « {fmt} » non pris en charge : ce serveur ne répond qu'en JSON.", 406)
        if media not in JSON_FORMATS:
            raise invalid(f"Valeur de _format inconnue : « {fmt} ».")
    header = request.headers.get("Accept", "").strip()
    if accept and header and not fmt and not accepts_json(header):
        raise not_supported("Format demandé (en-tête Accept) non pris en charge : ce serveur ne répond qu'en "
                            "JSON (application/fhir+json).", 406)
    pretty = _single(items, "_pretty")
    if pretty not in (None, "", "true", "false"):
        raise invalid("_pretty attend true ou false.")
    return pretty == "true"


def check_id(logical_id: str) -> None:
    if CONTROL_CHARS.search(logical_id):
        raise invalid("Caractère de contrôle interdit dans l'identifiant.")


def wants_pretty(request: HttpRequest) -> bool:
    return request.GET.get("_pretty") == "true"


def parse_read(request: HttpRequest, *, allowed: set[str] = frozenset()) -> None:
    """A read accepts only the format parameters (and `allowed`)."""
    for name, _ in _items(request):
        if name not in FORMAT_PARAMETERS | allowed:
            raise not_supported(f"Paramètre « {name} » non pris en charge ici.")


def parse_search(request: HttpRequest, supported: dict[str, set[str]]) -> Search:
    """`supported`: parameter name → the modifiers accepted ("" for none). Empty values are ignored."""
    items = _items(request)
    conditions, echo = [], []
    for key, value in items:
        if key in FORMAT_PARAMETERS | PAGING_PARAMETERS:
            if key in FORMAT_PARAMETERS:
                echo.append((key, value))
            continue
        name, _, modifier = key.partition(":")
        if name not in supported:
            raise not_supported(f"Paramètre de recherche « {name} » non pris en charge. Paramètres acceptés : "
                                f"{', '.join(sorted([*supported, *PAGING_PARAMETERS]))}.")
        if modifier not in supported[name]:
            raise not_supported(f"Modificateur « :{modifier} » non pris en charge pour « {name} ».")
        if value == "":
            continue
        conditions.append(Condition(name, modifier, split_values(value)))
        echo.append((key, value))
    count = _number(_single(items, "_count"), "_count", default=DEFAULT_COUNT, maximum=MAX_COUNT)
    offset = _number(_single(items, "_offset"), "_offset", default=0, maximum=MAX_OFFSET)
    total = _single(items, "_total") or ""
    if total and total not in TOTAL_MODES:
        raise invalid(f"_total attend none, estimate ou accurate (reçu « {total} »).")
    return Search(conditions=conditions, count=count, offset=offset, pretty=wants_pretty(request), echo=echo,
                  total=total)

