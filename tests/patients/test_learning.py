"""EM estimation of m and u (dcc identity learn-weights): recovers known probabilities from simulated pairs, and
the command runs on the base's own pairs without printing identities."""

import random
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from oncodcc.patients import learning
from tests import factories as f

TRUE_M = {"name": {"exact": 0.9, "different": 0.1}, "given": {"exact": 0.85, "different": 0.15},
          "birth_date": {"exact": 0.95, "different": 0.05}}
TRUE_U = {"name": {"exact": 0.05, "different": 0.95}, "given": {"exact": 0.1, "different": 0.9},
          "birth_date": {"exact": 0.3, "different": 0.7}}


def simulate(n: int, proportion: float, rng: random.Random) -> list[dict[str, str]]:
    patterns = []
    for _ in range(n):
        table = TRUE_M if rng.random() < proportion else TRUE_U
        patterns.append({trait: ("exact" if rng.random() < levels["exact"] else "different")
                         for trait, levels in table.items()})
    return patterns


def test_em_recovers_the_simulated_probabilities():
    result = learning.estimate(simulate(20000, 0.2, random.Random(4)), iterations=200)
    assert result.proportion == pytest.approx(0.2, abs=0.03)
    for trait in TRUE_M:
        assert result.m[trait]["exact"] == pytest.approx(TRUE_M[trait]["exact"], abs=0.05)
        assert result.u[trait]["exact"] == pytest.approx(TRUE_U[trait]["exact"], abs=0.05)
        assert result.weight(trait, "exact") > 0 > result.weight(trait, "different")


@pytest.mark.django_db
def test_learn_weights_command():
    with pytest.raises(CommandError, match="Aucune paire"):
        call_command("identity", "learn-weights", stdout=StringIO())
    for given in ("Paul", "Paul", "Jacques"):
        f.PatientFactory(birth_name="Lambert", birth_given_names=given, first_birth_given_name=given,
                         birth_date=date(1944, 2, 3), sex="M")
    out = StringIO()
    call_command("identity", "learn-weights", "--sample", "10", stdout=out)
    text = out.getvalue()
    assert "3 paire(s) comparée(s)" in text and "dates de naissance identiques" in text
    assert "Lambert" not in text and "Paul" not in text


def test_u_measured_on_random_pairs_is_kept_fixed_by_em():
    rng = random.Random(5)
    fixed_u = learning.frequencies(simulate(20000, 0.0, rng))  # random pairs: non-matches only
    assert fixed_u["name"]["exact"] == pytest.approx(TRUE_U["name"]["exact"], abs=0.01)
    result = learning.estimate(simulate(5000, 0.5, rng), fixed_u=fixed_u, iterations=200)
    assert result.u["name"] == fixed_u["name"]
    assert result.m["name"]["exact"] == pytest.approx(TRUE_M["name"]["exact"], abs=0.05)
