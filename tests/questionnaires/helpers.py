"""Building small definitions and sample answers for the engine tests."""

import copy
import json
from datetime import date
from pathlib import Path

from oncodcc.questionnaires import engine
from oncodcc.questionnaires.definition import FormDefinition, Item

FORMS_DIR = Path("oncodcc/questionnaires/forms")
L = "urn:oncodcc:codesystem:test"


def opt(code, display):
    return {"valueCoding": {"system": L, "code": code, "display": display}}


def questionnaire(items, **header):
    data = {"resourceType": "Questionnaire", "url": "urn:oncodcc:questionnaire:test", "version": "1.0.0",
            "name": "Test", "title": "Formulaire de test", "status": "active", "item": items}
    data.update(header)
    return data


def breast() -> dict:
    return json.loads((FORMS_DIR / "sein.json").read_text(encoding="utf-8"))


def with_version(data: dict, version: str) -> dict:
    new = copy.deepcopy(data)
    new["version"] = version
    return new


def sample_value(item: Item):
    """A valid raw answer for any item type."""
    if item.type == "boolean":
        return True
    if item.type in {"decimal", "quantity"}:
        return "12,5"
    if item.type == "integer":
        return "7"
    if item.type == "date":
        return date(2026, 10, 1).isoformat()
    if item.type in {"string", "text"}:
        return "Précision saisie — é à ç"
    if item.type == "open-choice":
        return item.options[-1].display
    option = item.options[min(2, len(item.options) - 1)]
    return [option.key] if item.repeats else option.key


def fill_everything(definition: FormDefinition) -> dict:
    """Answer every item that becomes enabled, until nothing changes (follows enableWhen chains)."""
    raw: dict = {}
    for _ in range(10):
        typed = engine.validate(definition, raw)
        enabled = engine.enabled_link_ids(definition, typed)
        missing = [i for i in definition.walk() if i.answers and i.link_id in enabled and i.link_id not in raw]
        if not missing:
            return raw
        for item in missing:
            raw[item.link_id] = sample_value(item)
    return raw
