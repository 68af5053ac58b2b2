"""National value sets (CI-SIS JDV) shipped as JSON data files, with their OID and version.

Codes are validated against these files on input and labels always come from them: never type a label in a
template. The files live in `data/`; each holds {name, oid, version, source, concepts: [{code, system, display}]}.

Two labels per code. `display` is the national label: it travels in CDA documents and exchanges, unchanged. `label`
is what a person reads (pages, PDF, emails): the national labels are written for machines ("Echelle de performance
OMS Stade 0", "Médecin - Hématologie (SM)", lower-case starts, typos such as "oncogératrie"), so the value sets
shown to people have a reviewed display label per code in `labels/<name>.json` (tests/terminology checks every code
of those sets has one and nothing else); the large classifications (CIM-10 topography, CIM-O-3 morphology) keep
their national wording with a capital first letter.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
LABELS_DIR = Path(__file__).parent / "labels"

# Short names used in the code, mapped to the national value-set files.
NATURE_DISCUSSION = "JDV_NatureDiscussion_CISIS"
CASE_STATUS = "JDV_StatutCasPresente_CISIS"
QUORUM_STATUS = "JDV_StatutQuorum_CISIS"
DOCUMENT_STATUS = "JDV_StatutDoc_CISIS"
PHASE = "JDV_PhaseCancer_CISIS"
PROGRESSION = "JDV_ProgressionCancer_CISIS"
TREATMENT_TYPE = "JDV_TypeTraitement_FRCP_CISIS"
CROSS_CUTTING_CARE = "JDV_TraitementSoins_FRCP_CISIS"
ORGAN_SYSTEM = "JDV_RCP_Appareil_CISIS"
ORGAN = "JDV_RCP_Organe_CISIS"
WHO_PERFORMANCE = "JDV_OMSEchPerf_CISIS"
TOPOGRAPHY = "JDV_Tumeur_CISIS"
MORPHOLOGY = "JDV_Morphologie_CISIS"
LATERALITY = "JDV_ModificateurTopographique_CISIS"
SPECIALTY = "JDV_Specialite_Medecin_CISIS"
# PPS (programme personnalisé de soins) 2022.01.
PPS_TREATMENT_TYPE = "JDV_TypeTraitementPPS_CISIS"
SUPPORTIVE_CARE = "JDV_SoinsOncoDeSupport_CISIS"
SOCIO_PRO_SUPPORT = "JDV_TypeAccompagnementSocioPro_CISIS"
UPDATE_REASON = "JDV_MotifMiseAJour_CISIS"
CARE_STRUCTURE = "JDV_StructuresDeSoins_CISIS"
FOLLOW_UP_TYPE = "JDV_TypeDeSuivi_CISIS"
SIDE_EFFECT_MANAGEMENT = "JDV_GestionEffetsSecondaires_CISIS"
ASSOCIATED_MEASURE = "JDV_MesuresAssociees_CISIS"
# XDS typeCode of documents (LOINC): the type of a received document.
DOCUMENT_TYPE = "JDV_J07_XdsTypeCode_CISIS"

# Codes the rules refer to by meaning.
NATURE_ORGAN = "ORG-117"
NATURE_CROSS_CUTTING = "ORG-132"
CASE_REGISTERED = "ORG-128"
CASE_DISCUSSED = "ORG-134"
QUORUM_REACHED = "ORG-126"
QUORUM_NOT_REACHED = "ORG-133"
PHASE_INITIAL = "MED-268"
PHASE_RELAPSE = "MED-244"


@dataclass(frozen=True)
class Concept:
    code: str
    system: str
    display: str  # the national label (documents, exchanges)
    label: str  # the reviewed label people read


@dataclass(frozen=True)
class ValueSet:
    name: str
    oid: str
    version: str
    source: str
    concepts: tuple[Concept, ...]

    @property
    def by_code(self) -> dict[str, Concept]:
        return _index(self.name)

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    def display(self, code: str | None) -> str:
        """The national label (CDA displayName, XDS metadata)."""
        concept = self.by_code.get(code or "")
        return concept.display if concept else (code or "")

    def label(self, code: str | None) -> str:
        """The label shown to people."""
        concept = self.by_code.get(code or "")
        return concept.label if concept else (code or "")

    def choices(self, *, with_code: bool = False) -> list[tuple[str, str]]:
        if with_code:
            return [(c.code, f"{c.code} — {c.label}") for c in self.concepts]
        return [(c.code, c.label) for c in self.concepts]


@cache
def get(name: str) -> ValueSet:
    raw = json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    labels = reviewed_labels(name)
    concepts = tuple(Concept(c["code"], c["system"], c["display"], labels.get(c["code"]) or _capitalised(c["display"]))
                     for c in raw["concepts"])
    return ValueSet(raw["name"], raw["oid"], raw["version"], raw["source"], concepts)


@cache
def _index(name: str) -> dict[str, Concept]:
    return {c.code: c for c in get(name).concepts}


@cache
def reviewed_labels(name: str) -> dict[str, str]:
    """The reviewed display labels of a value set ({} when it has none: its national labels are shown)."""
    path = LABELS_DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))["labels"] if path.exists() else {}


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def display(name: str, code: str | None) -> str:
    """The national label of a code (documents and exchanges)."""
    return get(name).display(code)


def label(name: str, code: str | None) -> str:
    """The label people read (pages, PDF, emails)."""
    return get(name).label(code)


def all_names() -> list[str]:
    return sorted(p.stem for p in DATA_DIR.glob("*.json"))
