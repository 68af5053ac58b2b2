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


def unknown_codes() -> dict[str, int]:
    """Codes stored in fiches that their value set does not hold (after a data migration, say)."""
    from oncodcc.rcp.models import Fiche, ProposedTreatment, Tumour

    checks = [
        (Tumour, "topography", valuesets.TOPOGRAPHY), (Tumour, "morphology", valuesets.MORPHOLOGY),
        (Tumour, "laterality", valuesets.LATERALITY), (ProposedTreatment, "code", valuesets.TREATMENT_TYPE),
        (Fiche, "phase", valuesets.PHASE), (Fiche, "case_status", valuesets.CASE_STATUS),
        (Fiche, "who_performance", valuesets.WHO_PERFORMANCE), (Fiche, "quorum_status", valuesets.QUORUM_STATUS),
    ]
    problems = {}
    for model, field, name in checks:
        known = set(valuesets.get(name).by_code)
        used = set(model.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct())
        bad = used - known
        if bad:
            problems[f"{model._meta.label}.{field}"] = len(bad)
    return problems
