"""Estimation of the m and u probabilities of `matching` on the base's own pairs (expectation–maximisation, as
Splink does), for `dcc identity learn-weights`.

u is measured first on random pairs of records (nearly all two different people: the frequency of each level
among them is u), as Splink does — blocked pairs cannot give u, since blocking selects agreement on the birth
date and names. Then EM on the pairs blocking gives (a mixture of matches and non-matches in unknown proportion)
estimates m with u fixed: given m, u and the proportion λ of matches, each pair's probability of being a match
(E step); given those, m of every agreement level and λ (M step).
Traits are taken as independent given the match status (the Fellegi–Sunter assumption). The estimate is shown
beside the fixed defaults for the identity vigilance team to judge; it is not applied by itself (a change of
weights changes who lands on the worklist: a reviewed decision, made in `matching`)."""

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass

from . import candidates, matching
from .models import Patient

TRAITS = tuple(matching.TRAIT_LABELS)
SMOOTHING = 1e-4  # keeps every level possible on both sides (a level never seen would otherwise weigh ±∞)


@dataclass(frozen=True)
class Estimate:
    proportion: float  # λ: share of matches among the compared pairs
    m: dict[str, dict[str, float]]  # trait -> level -> P(level | match)
    u: dict[str, dict[str, float]]  # trait -> level -> P(level | non-match)
    pairs: int
    iterations: int

    def weight(self, trait: str, level: str) -> float:
        return round(math.log2(self.m[trait][level] / self.u[trait][level]), 2)


def default_levels() -> dict[str, dict[str, matching.Level]]:
    return {"name": matching.NAME_LEVELS, "given": matching.GIVEN_LEVELS, "birth_date": matching.DATE_LEVELS,
            "sex": matching.SEX_LEVELS, "birthplace": matching.BIRTHPLACE_LEVELS, "ins": matching.INS_LEVELS}


def _initial() -> tuple[dict, dict]:
    levels = default_levels()
    m = {t: {code: level.m for code, level in levels[t].items()} for t in TRAITS}
    u = {t: {code: level.u for code, level in levels[t].items()} for t in TRAITS}
    return m, u


def frequencies(patterns: list[dict[str, str]]) -> dict[str, dict[str, float]]:
    """u from the patterns of random pairs: each level's share among the pairs where the trait is compared."""
    _, u = _initial()
    for trait in TRAITS:
        counts = Counter(p[trait] for p in patterns if p.get(trait, "missing") != "missing")
        total = sum(counts.values())
        if total:
            for level in u[trait]:
                u[trait][level] = (counts.get(level, 0) + SMOOTHING) / (total + SMOOTHING * len(u[trait]))
    return u


def estimate(patterns: list[dict[str, str]], *, iterations: int = 50, proportion: float = 0.1,
             tolerance: float = 1e-6, fixed_u: dict[str, dict[str, float]] | None = None) -> Estimate:
    """EM on agreement patterns (trait -> level code; "missing" levels are ignored), started from the defaults;
    with `fixed_u` (measured on random pairs), only m and the proportion are estimated."""
    m, u = _initial()
    if fixed_u is not None:
        u = {trait: dict(levels) for trait, levels in fixed_u.items()}
    done = 0
    while done < iterations:
        done += 1
        posterior = []
        for pattern in patterns:
            log_m = math.log(proportion)
            log_u = math.log(1 - proportion)
            for trait, level in pattern.items():
                if level == "missing":
                    continue
                log_m += math.log(m[trait][level])
                log_u += math.log(u[trait][level])
            high = max(log_m, log_u)
            a, b = math.exp(log_m - high), math.exp(log_u - high)
            posterior.append(a / (a + b))
        total = sum(posterior)
        new_proportion = min(max(total / len(patterns), 1e-6), 1 - 1e-6) if patterns else proportion
        counts_m: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        counts_u: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for pattern, p in zip(patterns, posterior, strict=True):
            for trait, level in pattern.items():
                if level != "missing":
                    counts_m[trait][level] += p
                    counts_u[trait][level] += 1 - p
        tables = ((m, counts_m),) if fixed_u is not None else ((m, counts_m), (u, counts_u))
        for trait in TRAITS:
            for table, counts in tables:
                levels = table[trait]
                denominator = sum(counts[trait].values()) + SMOOTHING * len(levels)
                if sum(counts[trait].values()) > 0:
                    for level in levels:
                        levels[level] = (counts[trait].get(level, 0.0) + SMOOTHING) / denominator
        converged = abs(new_proportion - proportion) < tolerance
        proportion = new_proportion
        if converged:
            break
    return Estimate(proportion, m, u, len(patterns), done)


def base_patterns(*, sample: int = 5000) -> list[dict[str, str]]:
    """Agreement patterns of the pairs blocking gives for up to `sample` active records (each pair once)."""
    seen: set[tuple[int, int]] = set()
    patterns = []
    records = Patient.objects.filter(merged_into__isnull=True).order_by("pk").only(*candidates.COMPARED_FIELDS)
    for patient in records[:sample]:
        traits = matching.Traits.of(patient)
        for other in candidates.block(patient, patient.pk):
            pair = (min(patient.pk, other.pk), max(patient.pk, other.pk))
            if pair in seen:
                continue
            seen.add(pair)
            comparison = matching.compare(traits, other)
            patterns.append({e.trait: e.level.code for e in comparison.evidence})
    return patterns


def random_patterns(*, pairs: int = 20000, seed: int = 15) -> list[dict[str, str]]:
    """Agreement patterns of random pairs of active records (for u)."""
    pks = list(Patient.objects.filter(merged_into__isnull=True).values_list("pk", flat=True))
    if len(pks) < 2:
        return []
    rng = random.Random(seed)
    chosen = {tuple(sorted(rng.sample(pks, 2))) for _ in range(pairs)}
    needed = {pk for pair in chosen for pk in pair}
    records = {p.pk: p for p in Patient.objects.filter(pk__in=needed).only(*candidates.COMPARED_FIELDS)}
    return [{e.trait: e.level.code for e in matching.compare(records[a], records[b]).evidence} for a, b in chosen]
