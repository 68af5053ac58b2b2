"""Checking an organ-form definition: a FHIR R4 Questionnaire restricted to what the engine supports.

`parse(data, source=…)` returns a FormDefinition or raises DefinitionError naming the file, the item linkId and
the reason (in French: administrators read it). Conventions: docs/forms.md.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from oncodcc.terminology import valuesets

SUPPORTED_TYPES = {"group", "display", "boolean", "decimal", "integer", "date", "string", "text", "choice",
                   "open-choice", "quantity"}
ANSWERING_TYPES = SUPPORTED_TYPES - {"group", "display"}
OPERATORS = {"exists", "=", "!=", ">", "<", ">=", "<="}
STATISTICS_COLUMNS = ("stage", "grade", "histology", "biomarker_1", "biomarker_2", "biomarker_3")
EXT_STATISTICS = "urn:oncodcc:extension:statistics"
EXT_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
EXT_ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
URL_PATTERN = re.compile(r"^urn:oncodcc:questionnaire:[a-z0-9-]+$")
LINK_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
VERSION = re.compile(r"^\d+\.\d+\.\d+$")
# The answer[x] an enableWhen must use, by the type of the question it tests.
ENABLE_WHEN_ANSWER = {
    "boolean": "answerBoolean", "decimal": "answerDecimal", "integer": "answerInteger", "date": "answerDate",
    "string": "answerString", "text": "answerString", "choice": "answerCoding", "open-choice": "answerCoding",
    "quantity": "answerQuantity",
}


class DefinitionError(ValueError):
    def __init__(self, source: str, link_id: str, reason: str):
        self.source, self.link_id, self.reason = source, link_id, reason
        where = f"item « {link_id} »" if link_id else "en-tête"
        super().__init__(f"{source} : {where} : {reason}")


@dataclass(frozen=True)
class Option:
    system: str
    code: str
    display: str

    @property
    def key(self) -> str:
        return f"{self.system}|{self.code}"


@dataclass
class Item:
    link_id: str
    type: str
    text: str
    required: bool = False
    repeats: bool = False
    max_length: int | None = None
    options: list[Option] = field(default_factory=list)
    value_set: str = ""
    unit: dict | None = None
    enable_when: list[dict] = field(default_factory=list)
    enable_behavior: str = "all"
    initial: list[dict] = field(default_factory=list)
    help: str = ""
    statistics: str = ""
    children: list["Item"] = field(default_factory=list)
    parent: str = ""
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def answers(self) -> bool:
        return self.type in ANSWERING_TYPES


@dataclass
class FormDefinition:
    url: str
    version: str
    name: str
    title: str
    status: str
    organs: list[str]
    items: list[Item]
    resource: dict

    @property
    def canonical(self) -> str:
        return f"{self.url}|{self.version}"

    def walk(self) -> Iterator[Item]:
        stack = list(reversed(self.items))
        while stack:
            item = stack.pop()
            yield item
            stack.extend(reversed(item.children))

    @property
    def by_link_id(self) -> dict[str, Item]:
        return {item.link_id: item for item in self.walk()}

    @property
    def statistics_items(self) -> dict[str, Item]:
        return {item.statistics: item for item in self.walk() if item.statistics}


def _value_set_from_reference(reference: str) -> str | None:
    """`urn:oid:<OID>` of one of our national value sets → its name."""
    if not reference.startswith("urn:oid:"):
        return None
    oid = reference.removeprefix("urn:oid:")
    for name in valuesets.all_names():
        if valuesets.get(name).oid == oid:
            return name
    return None


def _extension(raw: dict, url: str) -> dict | None:
    return next((ext for ext in raw.get("extension") or [] if ext.get("url") == url), None)


def _is_help(raw: dict) -> bool:
    control = _extension(raw, EXT_ITEM_CONTROL)
    codes = [c.get("code") for c in ((control or {}).get("valueCodeableConcept") or {}).get("coding") or []]
    return raw.get("type") == "display" and "help" in codes


def parse(data: dict[str, Any], *, source: str = "(définition)") -> FormDefinition:
    """Check a Questionnaire (dict) and return its definition, or raise DefinitionError."""
    if not isinstance(data, dict) or data.get("resourceType") != "Questionnaire":
        raise DefinitionError(source, "", "ce n'est pas une ressource FHIR Questionnaire.")
    from fhir.resources.R4B.questionnaire import Questionnaire

    try:
        Questionnaire.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first.get("loc", ()))
        raise DefinitionError(source, "", f"ressource FHIR R4 invalide ({location} : {first.get('msg')}).") from exc
    for key, pattern, reason in (
        ("url", URL_PATTERN, "url attendue de la forme urn:oncodcc:questionnaire:<nom>"),
        ("version", VERSION, "version attendue de la forme 1.0.0"),
    ):
        if not pattern.match(str(data.get(key) or "")):
            raise DefinitionError(source, "", reason + ".")
    if data.get("status") not in {"draft", "active", "retired"}:
        raise DefinitionError(source, "", "statut attendu : draft, active ou retired.")
    if not data.get("title") or not data.get("name"):
        raise DefinitionError(source, "", "title et name sont obligatoires.")
    organs = [
        coding.get("code")
        for context in data.get("useContext") or []
        for coding in (context.get("valueCodeableConcept") or {}).get("coding") or []
    ]
    seen: dict[str, Item] = {}
    items = [_parse_item(raw, source, seen, parent="") for raw in data.get("item") or []]
    if not items:
        raise DefinitionError(source, "", "le formulaire ne contient aucun item.")
    definition = FormDefinition(
        url=data["url"], version=data["version"], name=data["name"], title=data["title"], status=data["status"],
        organs=[code for code in organs if code], items=items, resource=data,
    )
    columns: dict[str, str] = {}
    for item in definition.walk():
        if item.statistics:
            if item.statistics in columns:
                raise DefinitionError(source, item.link_id,
                                      f"colonne de statistiques « {item.statistics} » déjà utilisée par « {columns[item.statistics]} ».")
            columns[item.statistics] = item.link_id
    return definition


def _parse_item(raw: dict, source: str, seen: dict[str, Item], *, parent: str) -> Item:
    link_id = str(raw.get("linkId") or "")
    if not LINK_ID.match(link_id):
        raise DefinitionError(source, link_id or "?", "linkId attendu en minuscules ASCII (lettres, chiffres, _).")
    if link_id in seen:
        raise DefinitionError(source, link_id, "linkId en double.")
    item_type = raw.get("type")
    if item_type not in SUPPORTED_TYPES:
        raise DefinitionError(source, link_id, f"type « {item_type} » non pris en charge.")
    if not raw.get("text") and item_type != "display":
        raise DefinitionError(source, link_id, "texte (libellé) manquant.")
    item = Item(link_id=link_id, type=item_type, text=raw.get("text") or "", required=bool(raw.get("required")),
                repeats=bool(raw.get("repeats")), max_length=raw.get("maxLength"), parent=parent, raw=raw,
                enable_behavior=raw.get("enableBehavior") or "all", initial=list(raw.get("initial") or []))
    seen[link_id] = item
    stats = _extension(raw, EXT_STATISTICS)
    if stats:
        if stats.get("valueString") not in STATISTICS_COLUMNS:
            raise DefinitionError(source, link_id, f"colonne de statistiques inconnue ; attendues : {', '.join(STATISTICS_COLUMNS)}.")
        if not item.answers:
            raise DefinitionError(source, link_id, "seul un item qui porte une réponse peut alimenter les statistiques.")
        item.statistics = stats["valueString"]
    if item_type in {"choice", "open-choice"}:
        if raw.get("answerValueSet"):
            name = _value_set_from_reference(raw["answerValueSet"])
            if name is None:
                raise DefinitionError(source, link_id, f"jeu de valeurs inconnu : {raw['answerValueSet']}.")
            item.value_set = name
            item.options = [Option(c.system, c.code, c.display) for c in valuesets.get(name).concepts]
        else:
            for option in raw.get("answerOption") or []:
                coding = option.get("valueCoding")
                if not coding or not coding.get("code") or not coding.get("display") or not coding.get("system"):
                    raise DefinitionError(source, link_id, "chaque answerOption doit être un valueCoding avec system, code et display.")
                item.options.append(Option(coding["system"], coding["code"], coding["display"]))
            if not item.options:
                raise DefinitionError(source, link_id, "un item à choix doit avoir des answerOption ou un answerValueSet.")
            keys = [o.key for o in item.options]
            if len(keys) != len(set(keys)):
                raise DefinitionError(source, link_id, "réponse en double dans answerOption.")
    elif raw.get("answerOption") or raw.get("answerValueSet"):
        raise DefinitionError(source, link_id, "seuls les items choice et open-choice ont des réponses codées.")
    if item_type == "quantity":
        unit = _extension(raw, EXT_UNIT)
        if not unit or not (unit.get("valueCoding") or {}).get("code"):
            raise DefinitionError(source, link_id, "une quantité doit préciser son unité (extension questionnaire-unit, UCUM).")
        item.unit = unit["valueCoding"]
    if item.repeats and item_type not in {"choice", "string", "integer", "decimal", "date", "quantity"}:
        raise DefinitionError(source, link_id, "repeats est pris en charge sur les choix et les valeurs simples "
                                               "(texte court, nombre, date, quantité), pas sur ce type.")
    if item.max_length is not None and item_type not in {"string", "text", "open-choice"}:
        raise DefinitionError(source, link_id, "maxLength ne s'applique qu'aux textes.")
    for condition in raw.get("enableWhen") or []:
        _check_enable_when(condition, item, source, seen)
        item.enable_when.append(condition)
    for child in raw.get("item") or []:
        if _is_help(child):
            item.help = child.get("text") or ""
            continue
        if item_type != "group":
            raise DefinitionError(source, link_id, "seul un groupe contient des items (hors aide).")
        item.children.append(_parse_item(child, source, seen, parent=link_id))
    if item_type == "group" and not item.children:
        raise DefinitionError(source, link_id, "groupe vide.")
    return item


def _check_enable_when(condition: dict, item: Item, source: str, seen: dict[str, Item]) -> None:
    question = condition.get("question")
    target = seen.get(question)
    if target is None or target is item:
        raise DefinitionError(source, item.link_id,
                              f"enableWhen porte sur « {question} », qui doit être un item précédent du formulaire.")
    operator = condition.get("operator")
    if operator not in OPERATORS:
        raise DefinitionError(source, item.link_id, f"opérateur enableWhen « {operator} » non pris en charge.")
    answer_keys = [key for key in condition if key.startswith("answer")]
    if len(answer_keys) != 1:
        raise DefinitionError(source, item.link_id, "enableWhen attend exactement une valeur answer[x].")
    expected = "answerBoolean" if operator == "exists" else ENABLE_WHEN_ANSWER.get(target.type)
    if answer_keys[0] != expected:
        raise DefinitionError(source, item.link_id,
                              f"enableWhen sur « {question} » ({target.type}) doit utiliser {expected}.")
    if expected == "answerCoding":
        coding = condition["answerCoding"]
        if target.options and Option(coding.get("system", ""), coding.get("code", ""), "").key not in {
            o.key for o in target.options
        }:
            raise DefinitionError(source, item.link_id,
                                  f"enableWhen : la réponse {coding.get('code')} n'existe pas dans « {question} ».")
    if operator in {">", "<", ">=", "<="} and target.type not in {"decimal", "integer", "date", "quantity"}:
        raise DefinitionError(source, item.link_id, "les comparaisons < > ne s'appliquent qu'aux nombres et aux dates.")


def load_file(path: Path) -> FormDefinition:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DefinitionError(path.name, "", f"JSON illisible ({exc}).") from exc
    return parse(data, source=path.name)
