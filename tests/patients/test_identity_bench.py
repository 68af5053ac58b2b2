"""The identity benchmark's generator and measures on a tiny population (the figures themselves: bench/README.md)."""

import random

import pytest
from faker import Faker

from bench import identity_matching as bench


def test_population_is_seeded_and_has_twins_and_homonyms():
    def make(seed):
        fake = Faker("fr_FR")
        fake.seed_instance(seed)
        return bench.population(3000, random.Random(seed), fake)

    people = make(7)
    assert people == make(7)
    extra = [p for p in people if p.key >= 3000]
    twins = [p for p in extra if p.key < 6000]
    homonyms = [p for p in extra if p.key >= 6000]
    assert twins and homonyms
    assert len({p.ins for p in people}) == len(people)  # distinct people, distinct INS


@pytest.mark.django_db
def test_run_reports_every_measure_and_never_links_twins_even_after_the_certain_batch():
    lines = bench.run(persons=120, seed=3)
    text = "\n".join(lines)
    assert text.count("  links: precision 1.0000") == 2  # filed by inbound, then after the certain batch
    assert text.count("same family name and birth date: 0") == 2
    assert "after the batch confirmation of the certain tier (" in text
    for measure in ("links + worklist: precision", "of incoming records", "records/s"):
        assert measure in text
