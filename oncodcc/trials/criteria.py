"""Biomarker conditions of a trial, written as text so that CSV cells, the admin and FHIR carry the same thing:
`<item><op><values>` where `item` is the linkId of an organ-form item promoted to a statistics column
(`her2_statut`, `egfr`, `pdl1_tps`…), `op` is `=` (one of the values), `!=` (none of them), `>=` or `<=` (a number),
and several accepted values are separated by commas: `her2_statut=low`, `mmr_statut=dmmr`, `pdl1_tps>=50`."""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_CONDITION = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(!=|>=|<=|=)\s*(.+?)\s*$")

# Answers that say the result is not (yet) known: a condition on them is unknown, never met nor failed.
INDETERMINATE = frozenset({
    "en_cours", "en_attente", "non_fait", "non_realise", "non_realisee", "non_recherche", "non_recherchee", "nd",
    "non_determine", "indetermine", "non_contributif", "non_contributive",
})


class ConditionError(ValueError):
    pass


@dataclass(frozen=True)
class BiomarkerCondition:
    item: str
    op: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.item}{self.op}{','.join(self.values)}"

    @property
    def numeric(self) -> bool:
        return self.op in {">=", "<="}

    def holds(self, answer: str) -> bool | None:
        """True / False for a known answer, None when the answer says nothing (empty, pending, not done)."""
        answer = (answer or "").strip()
        if not answer or answer in INDETERMINATE:
            return None
        if self.numeric:
            try:
                number = Decimal(answer.replace(",", "."))
            except InvalidOperation:
                return None
            bound = Decimal(self.values[0])
            return number >= bound if self.op == ">=" else number <= bound
        inside = answer in self.values
        return inside if self.op == "=" else not inside


def parse_condition(text: str) -> BiomarkerCondition:
    match = _CONDITION.match(text or "")
    if not match:
        raise ConditionError(
            f"condition « {text} » illisible : attendu « item=valeur », « item!=valeur », « item>=nombre » "
            "ou « item<=nombre » (ex. her2_statut=low, pdl1_tps>=50).")
    item, op, raw = match.groups()
    values = tuple(value.strip() for value in raw.split(",") if value.strip())
    if not values:
        raise ConditionError(f"condition « {text} » sans valeur.")
    if op in {">=", "<="}:
        if len(values) != 1:
            raise ConditionError(f"condition « {text} » : une seule borne numérique.")
        try:
            Decimal(values[0].replace(",", "."))
        except InvalidOperation:
            raise ConditionError(f"condition « {text} » : « {values[0]} » n'est pas un nombre.") from None
        values = (values[0].replace(",", "."),)
    return BiomarkerCondition(item, op, values)
