"""Loading the shipped value-set files into the database, and checking stored codes against them."""

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction

from . import valuesets
from .models import Concept, ValueSet


@dataclass(frozen=True)
class Loaded:
    name: str
    version: str
    concepts: int
    outcome: str  # "loaded" | "unchanged"


def load_all() -> list[Loaded]:
    return [load(name) for name in valuesets.all_names()]


@transaction.atomic
def load(name: str) -> Loaded:
    raw = (valuesets.DATA_DIR / f"{name}.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    if ValueSet.objects.filter(oid=data["oid"], version=data["version"], sha256=digest).exists():
        return Loaded(name, data["version"], len(data["concepts"]), "unchanged")
    value_set = ValueSet.objects.create(name=data["name"], oid=data["oid"], version=data["version"],
                                        source=data["source"], sha256=digest)
    Concept.objects.bulk_create(
        Concept(value_set=value_set, code=c["code"], system=c["system"], display=c["display"][:300])
        for c in data["concepts"]
    )
    return Loaded(name, data["version"], len(data["concepts"]), "loaded")


# Model fields holding codes of a value set, registered by the apps that own the models (rcp registers its fiche,
# tumour and treatment fields): terminology never imports the apps above it.
CODED_FIELDS: list[tuple[str, str, str]] = []


def register_coded_field(model_label: str, field: str, value_set: str) -> None:
    if (model_label, field, value_set) not in CODED_FIELDS:
        CODED_FIELDS.append((model_label, field, value_set))


def unknown_codes() -> dict[str, int]:
    """Codes stored in the registered coded fields that their value set does not hold (after a data migration)."""
    from django.apps import apps

    problems = {}
    for label, field, name in CODED_FIELDS:
        model = apps.get_model(label)
        known = set(valuesets.get(name).by_code)
        used = set(model.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct())
        bad = used - known
        if bad:
            problems[f"{model._meta.label}.{field}"] = len(bad)
    return problems
