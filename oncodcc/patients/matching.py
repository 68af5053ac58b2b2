"""Comparison of two identities that explains itself (Fellegi–Sunter), and the tier it puts the pair in.

Each trait is compared at an agreement level; each level has two probabilities: m (the level is seen when both
records are the same person) and u (seen when they are two different people). The level weighs log2(m / u): a
rare agreement (same birth date: u ≈ 1 / 30,000) weighs much, a common one (same sex: u = 1/2) little, and a
disagreement weighs against. The total is the log-odds that the pair is one person (minus the prior). Weights
are fixed here (sensible defaults for a French region; docs/identity-vigilance.md explains each one).

Pure functions: no database access (the search of candidates is `candidates.py`)."""

import math
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from rapidfuzz import fuzz

from oncodcc.core.text import fold

# --- French phonetic key ----------------------------------------------------------------------------------------

# Spelling groups that sound alike in French, rewritten in order (longest first where they overlap).
_PHONETIC_RULES = (
    (r"^H", ""), (r"SCH", "CH"), (r"PH", "F"), (r"TH", "T"), (r"GU([EI])", r"G\1"), (r"QU", "K"),
    (r"C([EIY])", r"S\1"), (r"G([EIY])", r"J\1"), (r"CK", "K"), (r"C(?!H)", "K"), (r"Q", "K"), (r"W", "V"),
    (r"Z", "S"), (r"Y", "I"), (r"EAU", "O"), (r"AU", "O"), (r"(AI|EI)", "E"), (r"BV", "V"),
    (r"(ER|EZ|ET|ES)$", "E"), (r"([^AEIOU])H", r"\1"), (r"[STXDP]$", ""), (r"(.)\1+", r"\1"),
)


def phonetic_key(name: str) -> str:
    """A short key equal for names that sound alike in French ("DUPOND" = "Dupont", "LEFEBVRE" = "Lefèvre",
    "GAUTHIER" = "Gautier"): the first sound, then the consonant skeleton, 8 characters at most."""
    text = fold(name).replace(" ", "").upper()
    text = re.sub(r"[^A-Z]", "", text)
    if not text:
        return ""
    for pattern, replacement in _PHONETIC_RULES:
        text = re.sub(pattern, replacement, text)
    if not text:
        return ""
    head, tail = text[0], re.sub(r"[AEIOU]", "", text[1:])
    return re.sub(r"(.)\1+", r"\1", head + tail)[:8]


# --- the identities compared ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Traits:
    """What is compared of an identity: a Patient or an inbound.IncomingIdentity (same attribute names)."""

    birth_name: str
    used_name: str
    given_names: tuple[str, ...]  # birth given names in order, then the used given name when it is another
    birth_date: date | None
    sex: str
    birthplace_insee: str
    ins: str  # "oid:matricule" or ""
    ins_qualified: bool

    @classmethod
    def of(cls, record) -> "Traits":
        given = [_name(g) for g in (record.birth_given_names or record.first_birth_given_name or "").split()]
        used_given = _name(getattr(record, "used_given_name", "") or "")
        if used_given and used_given not in given:
            given.append(used_given)
        matricule = getattr(record, "ins_matricule", "") or ""
        return cls(
            birth_name=_name(record.birth_name), used_name=_name(getattr(record, "used_name", "") or ""),
            given_names=tuple(g for g in given if g), birth_date=record.birth_date,
            sex=record.sex if record.sex in {"F", "M"} else "",
            birthplace_insee=(getattr(record, "birthplace_insee", "") or "").strip(),
            ins=f"{getattr(record, 'ins_oid', '')}:{matricule}" if matricule else "",
            ins_qualified=matricule != "" and getattr(record, "identity_status", "") == "QUAL",
        )

    @property
    def family_names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.birth_name, self.used_name) if n)


def _name(value: str) -> str:
    """A name as compared: no accents, case, hyphens, apostrophes or spaces ("D'Aubigné-Lefèvre" = "DAUBIGNELEFEVRE")."""
    return fold(value).replace(" ", "")


# --- agreement levels and their weights -------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    code: str
    label: str  # French, shown in the worklist
    m: float
    u: float

    @property
    def weight(self) -> float:
        return round(math.log2(self.m / self.u), 2)


NEUTRAL = Level("missing", "non comparable (absent d'un côté)", 1.0, 1.0)

NAME_LEVELS = {
    "exact": Level("exact", "noms de naissance identiques", 0.88, 0.002),
    "cross": Level("cross", "nom utilisé de l'un = nom de l'autre (nom marital)", 0.06, 0.0005),
    "phonetic": Level("phonetic", "noms phonétiquement identiques", 0.025, 0.003),
    "close": Level("close", "noms proches (faute de frappe)", 0.015, 0.004),
    "different": Level("different", "noms différents", 0.02, 0.99),
}
GIVEN_LEVELS = {
    "exact": Level("exact", "premiers prénoms identiques", 0.90, 0.01),
    "reordered": Level("reordered", "mêmes prénoms dans un autre ordre", 0.05, 0.002),
    "phonetic": Level("phonetic", "prénoms phonétiquement identiques", 0.02, 0.003),
    "close": Level("close", "prénoms proches (faute de frappe)", 0.01, 0.005),
    "different": Level("different", "prénoms différents", 0.01, 0.98),
}
DATE_LEVELS = {
    "exact": Level("exact", "dates de naissance identiques", 0.94, 0.000035),
    "swap": Level("swap", "jour et mois inversés", 0.015, 0.000035),
    "century": Level("century", "erreur de siècle", 0.005, 0.000035),
    "typo": Level("typo", "un chiffre diffère", 0.025, 0.0008),
    "different": Level("different", "dates de naissance différentes", 0.015, 0.9989),
}
SEX_LEVELS = {
    "same": Level("same", "même sexe", 0.98, 0.5),
    "different": Level("different", "sexes différents", 0.02, 0.5),
}
BIRTHPLACE_LEVELS = {
    "same": Level("same", "même lieu de naissance", 0.92, 0.02),
    "different": Level("different", "lieux de naissance différents", 0.05, 0.98),
}
INS_LEVELS = {
    "same": Level("same", "même INS", 0.95, 0.000001),
    "different": Level("different", "INS différents", 0.002, 0.999),
}
TRAIT_LABELS = {"name": "Nom", "given": "Prénoms", "birth_date": "Date de naissance", "sex": "Sexe",
                "birthplace": "Lieu de naissance", "ins": "INS"}
FUZZY_CLOSE = 85  # rapidfuzz ratio (0–100) from which two spellings count as a typo of each other


def _names_level(a: Traits, b: Traits) -> Level:
    """Birth name and used name of each against both of the other's: a married name sent as the family name
    meets the stored used name (or the stored birth name meets the other's used name)."""
    if not a.birth_name or not b.birth_name:
        return NEUTRAL
    if a.birth_name == b.birth_name:
        return NAME_LEVELS["exact"]
    pairs = [(x, y) for x in a.family_names for y in b.family_names]
    if any(x == y for x, y in pairs):
        return NAME_LEVELS["cross"]
    if any(phonetic_key(x) == phonetic_key(y) for x, y in pairs):
        return NAME_LEVELS["phonetic"]
    if any(fuzz.ratio(x, y) >= FUZZY_CLOSE for x, y in pairs):
        return NAME_LEVELS["close"]
    return NAME_LEVELS["different"]


def _given_level(a: Traits, b: Traits) -> Level:
    """First given names, then any of the given names in any order (used given name included)."""
    if not a.given_names or not b.given_names:
        return NEUTRAL
    if a.given_names[0] == b.given_names[0]:
        return GIVEN_LEVELS["exact"]
    if set(a.given_names) & set(b.given_names):
        return GIVEN_LEVELS["reordered"]
    keys_a, keys_b = {phonetic_key(g) for g in a.given_names}, {phonetic_key(g) for g in b.given_names}
    if keys_a & keys_b - {""}:
        return GIVEN_LEVELS["phonetic"]
    if any(fuzz.ratio(x, y) >= FUZZY_CLOSE for x in a.given_names for y in b.given_names):
        return GIVEN_LEVELS["close"]
    return GIVEN_LEVELS["different"]


def _date_level(a: date | None, b: date | None) -> Level:
    if a is None or b is None:
        return NEUTRAL
    if a == b:
        return DATE_LEVELS["exact"]
    if (a.day, a.month) == (b.month, b.day) and a.year == b.year:
        return DATE_LEVELS["swap"]
    if (a.day, a.month) == (b.day, b.month) and abs(a.year - b.year) == 100:
        return DATE_LEVELS["century"]
    digits_a, digits_b = a.strftime("%d%m%Y"), b.strftime("%d%m%Y")
    if sum(x != y for x, y in zip(digits_a, digits_b, strict=True)) == 1:
        return DATE_LEVELS["typo"]
    return DATE_LEVELS["different"]


def _equality_level(a: str, b: str, levels: dict[str, Level]) -> Level:
    if not a or not b:
        return NEUTRAL
    return levels["same"] if a == b else levels["different"]


# --- the comparison and its tier --------------------------------------------------------------------------------


class Tier(StrEnum):
    CERTAIN = "certain"
    PROBABLE = "probable"
    TWIN_RISK = "twin_risk"
    UNLIKELY = "unlikely"


TIER_LABELS = {Tier.CERTAIN: "Certain", Tier.PROBABLE: "Probable",
               Tier.TWIN_RISK: "Risque jumeaux / homonymes", Tier.UNLIKELY: "Peu probable"}
# Worklist order: certain first, then probable, then the pairs that must be looked at with care.
TIER_RANK = {Tier.CERTAIN: 0, Tier.PROBABLE: 1, Tier.TWIN_RISK: 2, Tier.UNLIKELY: 3}
SHOWN_TIERS = (Tier.CERTAIN, Tier.PROBABLE, Tier.TWIN_RISK)
# Log2 odds from which a pair is shown as probable. Same given name, birth date and sex alone (6.5 + 14.7 + 1 =
# 22.2 with the family name absent, 16.6 with another family name) would put thousands of strangers of a region
# on the worklist: a disagreeing family name needs the birthplace too (22.1). Two small errors with the rest
# agreeing (phonetic name and a one-digit date: 3.1 + 6.5 + 5 + 1 + 5.5 = 21.1) are shown.
PROBABLE_THRESHOLD = 18.0


@dataclass(frozen=True)
class Evidence:
    trait: str
    level: Level

    @property
    def label(self) -> str:
        return TRAIT_LABELS[self.trait]

    @property
    def weight(self) -> float:
        return 0.0 if self.level is NEUTRAL else self.level.weight

    def as_dict(self) -> dict:
        return {"trait": self.trait, "level": self.level.code, "weight": self.weight}


@dataclass(frozen=True)
class Comparison:
    score: float
    tier: Tier
    evidence: tuple[Evidence, ...]
    warning: str = ""

    def level(self, trait: str) -> str:
        return next(e.level.code for e in self.evidence if e.trait == trait)

    @property
    def tier_label(self) -> str:
        return TIER_LABELS[self.tier]


TWIN_WARNING = ("Même nom et même date de naissance, mais {what} : jumeaux ou homonymes possibles. Ne fusionnez "
                "qu'après vérification d'une pièce d'identité ou du téléservice INSi.")


def compare(left, right) -> Comparison:
    """Compare two identities (Patient, IncomingIdentity or Traits): total weight, tier and per-trait evidence."""
    a = left if isinstance(left, Traits) else Traits.of(left)
    b = right if isinstance(right, Traits) else Traits.of(right)
    evidence = (
        Evidence("name", _names_level(a, b)),
        Evidence("given", _given_level(a, b)),
        Evidence("birth_date", _date_level(a.birth_date, b.birth_date)),
        Evidence("sex", _equality_level(a.sex, b.sex, SEX_LEVELS)),
        Evidence("birthplace", _equality_level(a.birthplace_insee, b.birthplace_insee, BIRTHPLACE_LEVELS)),
        Evidence("ins", _equality_level(a.ins, b.ins, INS_LEVELS)),
    )
    score = round(sum(e.weight for e in evidence), 2)
    tier, warning = _tier(a, b, {e.trait: e.level.code for e in evidence}, score)
    return Comparison(score, tier, evidence, warning)


def _tier(a: Traits, b: Traits, levels: dict[str, str], score: float) -> tuple[Tier, str]:
    if levels["ins"] == "same" and a.ins_qualified and b.ins_qualified:
        return Tier.CERTAIN, ""
    same_family = bool(set(a.family_names) & set(b.family_names))
    if same_family and levels["birth_date"] == "exact":
        # Twins share a family name and a birth date; perfect homonyms share the given name too. Whatever the
        # score, such a pair is never "certain" when given names or birthplaces differ.
        differs = []
        if levels["given"] in {"different", "close", "phonetic"}:
            differs.append("des prénoms différents")
        if levels["birthplace"] == "different":
            differs.append("des lieux de naissance différents")
        if levels["sex"] == "different":
            differs.append("des sexes différents")
        if levels["ins"] == "different":
            differs.append("des INS différents")
        if differs:
            return Tier.TWIN_RISK, TWIN_WARNING.format(what=" et ".join(differs))
    strict_equal = (levels["name"] == "exact" and levels["given"] == "exact" and levels["birth_date"] == "exact"
                    and levels["sex"] == "same" and levels["birthplace"] == "same" and levels["ins"] != "different")
    if strict_equal:
        return Tier.CERTAIN, ""
    if score >= PROBABLE_THRESHOLD and levels["ins"] != "different":
        return Tier.PROBABLE, ""
    return Tier.UNLIKELY, ""


# --- blocking keys ----------------------------------------------------------------------------------------------


def date_variants(birth_date: date) -> set[date]:
    """The birth dates a typing error could have turned this one into: itself, day and month swapped, the other
    century, and every date one digit away (DDMMYYYY)."""
    variants = {birth_date}
    for candidate in ((birth_date.year, birth_date.day, birth_date.month),
                      (birth_date.year - 100, birth_date.month, birth_date.day),
                      (birth_date.year + 100, birth_date.month, birth_date.day)):
        variants |= _valid(*candidate)
    digits = birth_date.strftime("%d%m%Y")
    for position in range(len(digits)):
        for digit in "0123456789":
            if digit != digits[position]:
                typed = digits[:position] + digit + digits[position + 1:]
                variants |= _valid(int(typed[4:]), int(typed[2:4]), int(typed[:2]))
    return variants


def _valid(year: int, month: int, day: int) -> set[date]:
    try:
        return {date(year, month, day)} if 1850 <= year <= 2200 else set()
    except ValueError:
        return set()


def name_keys(record) -> set[str]:
    """Phonetic keys of the birth and used names (blocking)."""
    return {k for k in (phonetic_key(record.birth_name), phonetic_key(getattr(record, "used_name", "") or "")) if k}
