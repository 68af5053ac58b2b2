"""The search of candidate duplicates of an identity: blocking (a few indexed reads), then the comparison of
`matching` on every record read, tiers kept when shown, pairs decided "pas un doublon" left out.

Blocking reads the records born on one of the dates a typing error links to this one (`matching.date_variants`,
about forty dates) and keeps those born on the same date (or day and month swapped) whatever their name, and the
others only when a birth or used name sounds like one of this identity's (phonetic keys, indexed). The cost
depends on the number of records born around those dates, not on the size of the table.

`refresh(patient)` compares a record again (when it arrives, when its traits change, in `dcc identity scan`):
it flags DPOT when a candidate is found and remembers the best tier and score for the worklist's order. The
search is symmetric (the comparison is), so a pair is found from whichever record was last changed."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from . import matching
from .incidents import POTENTIAL_DUPLICATE
from .models import PairDecision, Patient

# Enough for any real block (a birth date and its variants in a region); a pathological block is cut, not slow.
BLOCK_LIMIT = 2000
COMPARED_FIELDS = ("id", "birth_name", "used_name", "birth_given_names", "first_birth_given_name",
                   "used_given_name", "birth_date", "sex", "birthplace_insee", "ins_matricule", "ins_oid",
                   "identity_status", "merged_into_id")


@dataclass(frozen=True)
class Match:
    patient: Patient
    comparison: matching.Comparison

    @property
    def score(self) -> float:
        return self.comparison.score

    @property
    def tier(self) -> matching.Tier:
        return self.comparison.tier

    @property
    def sort_key(self) -> tuple[int, float]:
        return matching.TIER_RANK[self.tier], -self.score


def block(record, exclude_pk: int | None) -> list[Patient]:
    birth_date: date | None = record.birth_date
    if birth_date is None:
        return []
    near = {birth_date}
    if birth_date.day <= 12:  # then the swapped date is always a valid one
        near.add(date(birth_date.year, birth_date.day, birth_date.month))
    keys = matching.name_keys(record)
    sounds_alike = Q(birth_name_key__in=keys) | Q(used_name_key__in=keys) if keys else Q(pk__in=[])
    qs = Patient.objects.filter(birth_date__in=matching.date_variants(birth_date), merged_into__isnull=True).filter(
        Q(birth_date__in=near) | sounds_alike)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs.only(*COMPARED_FIELDS)[:BLOCK_LIMIT])


def dismissed_with(pks) -> dict[int, set[int]]:
    """For each record of `pks`, the records a reviewer said are not the same person (one query)."""
    pks = [pk for pk in pks if pk]
    result: dict[int, set[int]] = {pk: set() for pk in pks}
    if not pks:
        return result
    pairs = PairDecision.objects.filter(Q(patient_low_id__in=pks) | Q(patient_high_id__in=pks),
                                        decision=PairDecision.Decision.NOT_DUPLICATE)
    for low, high in pairs.values_list("patient_low_id", "patient_high_id"):
        if low in result:
            result[low].add(high)
        if high in result:
            result[high].add(low)
    return result


def find(record, *, exclude_pk: int | None = None, limit: int | None = None,
         dismissed: set[int] | None = None) -> list[Match]:
    """Candidate duplicates of `record` (a Patient or an inbound.IncomingIdentity), in the shown tiers, best
    first (tier, then score). A Patient is never its own candidate. `dismissed`: the records already decided
    "pas un doublon" with this one, when the caller read them for several records at once."""
    if exclude_pk is None and isinstance(record, Patient):
        exclude_pk = record.pk
    traits = matching.Traits.of(record)
    if dismissed is None:
        dismissed = dismissed_with([exclude_pk]).get(exclude_pk, set())
    found = []
    for other in block(record, exclude_pk):
        if other.pk in dismissed:
            continue
        comparison = matching.compare(traits, other)
        if comparison.tier in matching.SHOWN_TIERS:
            found.append(Match(other, comparison))
    found.sort(key=lambda m: m.sort_key)
    return found if limit is None else found[:limit]


def refresh(patient: Patient, *, new: bool = False) -> list[Match]:
    """Compare the record again: DPOT when a candidate is shown, best tier and score remembered. The flag is
    never removed here (only a reviewer's decision removes it: a candidate that vanished after a change of
    traits is exactly what the reviewer must see). Saves only what changed; returns the candidates.
    `new`: the record was just created, so no "pas un doublon" decision names it (one query saved per record
    of a busy inbound feed)."""
    found = find(patient, dismissed=set() if new else None) if patient.merged_into_id is None else []
    best = found[0] if found else None
    rank = matching.TIER_RANK[best.tier] if best else None
    score = best.score if best else None
    changed = []
    if best and POTENTIAL_DUPLICATE not in (patient.identity_flags or []):
        patient.identity_flags = [*(patient.identity_flags or []), POTENTIAL_DUPLICATE]
        changed.append("identity_flags")
    if (rank, score) != (patient.vigilance_rank, patient.vigilance_score):
        patient.vigilance_rank, patient.vigilance_score = rank, score
        changed += ["vigilance_rank", "vigilance_score"]
    if changed and patient.pk:
        Patient.objects.filter(pk=patient.pk).update(**{name: getattr(patient, name) for name in changed})
    return found


def flagged_on_update(was_flagged: bool, found: list[Match]) -> dict:
    """Audit details for an update whose new traits flagged the record (counted by the indicators), else {}."""
    if was_flagged or not found:
        return {}
    return {"identity_vigilance": "flagged_on_update", "tier": found[0].tier.value}
