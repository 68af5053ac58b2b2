"""The organ-form engine: which items are enabled, answer validation, QuestionnaireResponse in and out.

Answers travel as a plain dict {linkId: value}: bool, Decimal, int, date, str, an Option (coded answer; a str for
an open-choice free answer), a list of those for repeating choices, or {"value": Decimal, "unit": {...}} for a
quantity. Items that enableWhen disables carry no answer.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from oncodcc.core.text import has_control_chars

from .definition import FormDefinition, Item, Option

MAX_TEXT = 10_000


class AnswerErrors(ValueError):
    """French messages per linkId."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# --- enableWhen ---

def _as_comparable(item: Item, value: Any) -> Any:
    if isinstance(value, dict) and "value" in value:  # quantity
        return value["value"]
    if isinstance(value, Option):
        return value.key
    return value


def _condition_met(condition: dict, target: Item, answers: dict[str, Any]) -> bool:
    value = answers.get(target.link_id)
    present = value not in (None, "", [])
    operator = condition["operator"]
    if operator == "exists":
        return present is bool(condition["answerBoolean"])
    if not present:
        return operator == "!="
    key = next(k for k in condition if k.startswith("answer"))
    expected = condition[key]
    if key == "answerCoding":
        expected = f"{expected.get('system', '')}|{expected.get('code', '')}"
    elif key == "answerDecimal":
        expected = Decimal(str(expected))
    elif key == "answerDate":
        expected = date.fromisoformat(expected)
    elif key == "answerQuantity":
        expected = Decimal(str(expected.get("value")))
    values = value if isinstance(value, list) else [value]
    actual = [_as_comparable(target, v) for v in values]
    if operator == "=":
        return expected in actual
    if operator == "!=":
        return expected not in actual
    try:
        first = actual[0]
        return {">": first > expected, "<": first < expected, ">=": first >= expected, "<=": first <= expected}[operator]
    except TypeError:
        return False


def enabled_link_ids(definition: FormDefinition, answers: dict[str, Any]) -> set[str]:
    """Items shown given the answers, in document order (an item only depends on earlier ones)."""
    by_id = definition.by_link_id
    enabled: set[str] = set()

    def visit(item: Item, parent_enabled: bool) -> None:
        on = parent_enabled
        if on and item.enable_when:
            # A question that is itself disabled counts as unanswered (FHIR: "!=" is then true).
            results = [_condition_met(c, by_id[c["question"]], answers if c["question"] in enabled else {})
                       for c in item.enable_when]
            on = all(results) if item.enable_behavior == "all" else any(results)
        if on:
            enabled.add(item.link_id)
        for child in item.children:
            visit(child, on)

    for item in definition.items:
        visit(item, True)
    return enabled


# --- validation of raw (form) values ---

def _option(item: Item, raw: Any) -> Option | str:
    if isinstance(raw, Option):
        return raw
    raw = str(raw)
    for option in item.options:
        if raw in (option.key, option.code, option.display):
            return option
    if item.type == "open-choice" and raw.strip():
        return raw.strip()
    raise ValueError("Réponse hors de la liste proposée.")


REPEATABLE_SCALARS = {"string", "integer", "decimal", "date", "quantity"}


def clean_value(item: Item, raw: Any) -> Any:
    """Convert one raw answer (form string, JSON value) into its typed value, or raise ValueError (French).
    A repeating scalar item takes a list (or one value per line) and gives a list."""
    if item.repeats and item.type in REPEATABLE_SCALARS:
        values = raw if isinstance(raw, list) else str(raw or "").splitlines()
        cleaned = []
        for number, value in enumerate((v for v in values if str(v).strip()), start=1):
            try:
                cleaned.append(_clean_scalar(item, value))
            except ValueError as exc:
                raise ValueError(f"Valeur n° {number} : {exc}") from exc
        return cleaned or None
    return _clean_scalar(item, raw)


def _clean_scalar(item: Item, raw: Any) -> Any:
    if raw in (None, "", []):
        return None
    if item.type == "boolean":
        if isinstance(raw, bool):
            return raw
        if str(raw) in {"True", "true", "1", "oui", "on"}:
            return True
        if str(raw) in {"False", "false", "0", "non"}:
            return False
        raise ValueError("Répondez par oui ou non.")
    if item.type in {"decimal", "quantity"}:
        number = raw.get("value") if isinstance(raw, dict) else raw
        try:
            value = Decimal(str(number).replace(",", ".").strip())
        except (InvalidOperation, ValueError) as exc:
            raise ValueError("Nombre attendu (ex. 12,5).") from exc
        if not value.is_finite() or abs(value) >= Decimal("1e9"):
            raise ValueError("Nombre hors limites.")
        return {"value": value, "unit": item.unit} if item.type == "quantity" else value
    if item.type == "integer":
        try:
            value = int(str(raw).strip())
        except ValueError as exc:
            raise ValueError("Nombre entier attendu.") from exc
        if abs(value) >= 10**9:
            raise ValueError("Nombre hors limites.")
        return value
    if item.type == "date":
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw).strip())
        except ValueError as exc:
            raise ValueError("Date attendue (jj/mm/aaaa).") from exc
    if item.type in {"string", "text"}:
        text = str(raw).strip()
        limit = item.max_length or MAX_TEXT
        if has_control_chars(text):
            raise ValueError("Ce texte contient des caractères de contrôle non autorisés.")
        if len(text) > limit:
            raise ValueError(f"Texte trop long ({len(text)} caractères, {limit} au plus).")
        return text
    if item.type in {"choice", "open-choice"}:
        values = raw if isinstance(raw, list) else [raw]
        cleaned = [_option(item, v) for v in values if v not in (None, "")]
        if any(isinstance(v, str) and (has_control_chars(v) or len(v) > 300) for v in cleaned):
            raise ValueError("Réponse libre invalide.")
        if not item.repeats:
            if len(cleaned) > 1:
                raise ValueError("Une seule réponse attendue.")
            return cleaned[0] if cleaned else None
        return cleaned or None
    raise ValueError("Type d'item non pris en charge.")


def validate(definition: FormDefinition, raw: dict[str, Any], *, check_required: bool = False) -> dict[str, Any]:
    """Typed answers of the enabled items. Raises AnswerErrors (per linkId). `check_required` at validation of
    the fiche: a draft may be incomplete."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    by_id = definition.by_link_id
    for link_id, value in raw.items():
        item = by_id.get(link_id)
        if item is None or not item.answers:
            errors[link_id] = "Question inconnue de ce formulaire."
            continue
        try:
            cleaned = clean_value(item, value)
        except ValueError as exc:
            errors[link_id] = str(exc)
            continue
        if cleaned is not None:
            answers[link_id] = cleaned
    if errors:
        raise AnswerErrors(errors)
    enabled = enabled_link_ids(definition, answers)
    answers = {k: v for k, v in answers.items() if k in enabled}
    if check_required:
        missing = {
            item.link_id: "Réponse obligatoire."
            for item in definition.walk()
            if item.answers and item.required and item.link_id in enabled and item.link_id not in answers
        }
        if missing:
            raise AnswerErrors(missing)
    return answers


# --- QuestionnaireResponse ---

def _answer_json(item: Item, value: Any) -> list[dict]:
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if item.type == "boolean":
            out.append({"valueBoolean": v})
        elif item.type == "decimal":
            out.append({"valueDecimal": float(v)})
        elif item.type == "integer":
            out.append({"valueInteger": v})
        elif item.type == "date":
            out.append({"valueDate": v.isoformat()})
        elif item.type in {"string", "text"}:
            out.append({"valueString": v})
        elif item.type == "quantity":
            unit = v.get("unit") or {}
            out.append({"valueQuantity": {"value": float(v["value"]), "unit": unit.get("display") or unit.get("code"),
                                          "system": unit.get("system"), "code": unit.get("code")}})
        elif isinstance(v, Option):
            out.append({"valueCoding": {"system": v.system, "code": v.code, "display": v.display}})
        else:  # open-choice free text
            out.append({"valueString": v})
    return out


@dataclass(frozen=True)
class ResponseContext:
    subject_reference: str  # "Patient/12"
    authored: str  # ISO instant
    status: str  # in-progress | completed | amended
    identifier: str = ""


def to_response(definition: FormDefinition, answers: dict[str, Any], ctx: ResponseContext) -> dict:
    """A FHIR R4 QuestionnaireResponse (dict) pinned to `url|version`."""

    def build(items: list[Item]) -> list[dict]:
        out = []
        for item in items:
            if item.type == "group":
                children = build(item.children)
                if children:
                    out.append({"linkId": item.link_id, "text": item.text, "item": children})
            elif item.answers and item.link_id in answers:
                out.append({"linkId": item.link_id, "text": item.text, "answer": _answer_json(item, answers[item.link_id])})
        return out

    response = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": definition.canonical,
        "status": ctx.status,
        "subject": {"reference": ctx.subject_reference},
        "authored": ctx.authored,
        "item": build(definition.items),
    }
    if ctx.identifier:
        response["identifier"] = {"system": "urn:oncodcc:fiche", "value": ctx.identifier}
    return response


def from_response(definition: FormDefinition, response: dict) -> dict[str, Any]:
    """Answers of a stored QuestionnaireResponse, as typed values (unknown linkIds are dropped: an answer
    carried over from another version keeps only what still fits)."""
    raw: dict[str, Any] = {}
    by_id = definition.by_link_id

    def collect(items: list[dict]) -> None:
        for entry in items or []:
            item = by_id.get(entry.get("linkId", ""))
            if entry.get("item"):
                collect(entry["item"])
            if item is None or not item.answers or not entry.get("answer"):
                continue
            values = []
            for answer in entry["answer"]:
                if "valueCoding" in answer:
                    coding = answer["valueCoding"]
                    values.append(f"{coding.get('system', '')}|{coding.get('code', '')}")
                elif "valueQuantity" in answer:
                    values.append(answer["valueQuantity"].get("value"))
                else:
                    values.append(next(v for k, v in answer.items() if k.startswith("value")))
            raw[item.link_id] = values if item.repeats else values[0]

    collect(response.get("item") or [])
    cleaned = {}
    for link_id, value in raw.items():
        try:
            typed = clean_value(by_id[link_id], value)
        except ValueError:
            continue
        if typed is not None:
            cleaned[link_id] = typed
    enabled = enabled_link_ids(definition, cleaned)
    return {k: v for k, v in cleaned.items() if k in enabled}


# --- display ---

def display_value(item: Item, value: Any) -> str:
    values = value if isinstance(value, list) else [value]
    parts = []
    for v in values:
        if isinstance(v, Option):
            parts.append(v.display)
        elif isinstance(v, bool):
            parts.append("Oui" if v else "Non")
        elif isinstance(v, dict) and "value" in v:
            unit = (v.get("unit") or {}).get("display") or (v.get("unit") or {}).get("code") or ""
            parts.append(f"{format_number(v['value'])} {unit}".strip())
        elif isinstance(v, Decimal):
            parts.append(format_number(v))
        elif isinstance(v, date):
            parts.append(v.strftime("%d/%m/%Y"))
        else:
            parts.append(str(v))
    return ", ".join(parts)


def format_number(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return text.replace(".", ",")


@dataclass(frozen=True)
class DisplaySection:
    title: str
    rows: list[tuple[str, str]]


def display_sections(definition: FormDefinition, answers: dict[str, Any]) -> list[DisplaySection]:
    """Answered items grouped by top-level group, for read views and documents."""
    sections: list[DisplaySection] = []
    loose: list[tuple[str, str]] = []

    def rows_of(item: Item) -> list[tuple[str, str]]:
        if item.type == "group":
            return [row for child in item.children for row in rows_of(child)]
        if item.link_id in answers:
            return [(item.text, display_value(item, answers[item.link_id]))]
        return []

    for item in definition.items:
        if item.type == "group":
            rows = rows_of(item)
            if rows:
                sections.append(DisplaySection(item.text, rows))
        else:
            loose.extend(rows_of(item))
    if loose:
        sections.insert(0, DisplaySection("", loose))
    return sections


def statistics_values(definition: FormDefinition, answers: dict[str, Any]) -> dict[str, str]:
    """The promoted columns: a code for coded answers, the number or text otherwise."""
    out = {}
    for column, item in definition.statistics_items.items():
        value = answers.get(item.link_id)
        if value is None:
            out[column] = ""
            continue
        first = value[0] if isinstance(value, list) else value
        if isinstance(first, Option):
            out[column] = first.code
        elif isinstance(first, dict):
            out[column] = format_number(first["value"])
        else:
            out[column] = display_value(item, first)
    return out
