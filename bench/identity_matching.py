"""Identity vigilance benchmark: `.venv/bin/python -m bench.identity_matching [--persons 2000] [--seed 15]`.

A seeded synthetic population (Faker fr_FR) of N persons, each sent by one to three of nine hospitals with
French noise — a married name in the family-name field, given names in another order, a birth date with day and
month swapped, one digit wrong or the wrong century, a typo in the name, no birthplace, an INS (sometimes with a
wrong key) — plus twins (same family name, birth date and birthplace, other given names) and perfect homonyms
(same names and birth date, born elsewhere). Every record goes through `inbound.resolve`, as HL7 and FHIR do.

Printed: pairwise precision, recall and F1 of the automatic links (records filed on one patient) and of automatic
links plus the worklist (a flagged record and its candidates shown), automatic links between distinct people with
the same family name and birth date, the worklist size as a share of records, and records/s through the service.
On a throw-away SQLite database (or, with DATABASE_URL set, Django's `test_…` database on that PostgreSQL)."""

import argparse
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from bench.diffusion_send import setup

HOSPITALS = 9
BIRTHPLACES = ["31555", "34172", "30189", "66136", "11069", "81004", "82121", "65440", "09122", "12202", "46042",
               "48095", "32013", "75056", "13055", "69123", "33063", "99134", "99350"]


@dataclass(frozen=True)
class Person:
    key: int
    birth_name: str
    given_names: tuple[str, ...]
    sex: str
    birth_date: date
    birthplace: str
    married_name: str
    ins: str


def nir(sex: str, birth_date: date, place: str, order: int) -> str:
    place = place if not place.startswith("99") else "99" + place[2:]
    body = f"{'1' if sex == 'M' else '2'}{birth_date.year % 100:02d}{birth_date.month:02d}{place}{order % 1000:03d}"
    return f"{body}{97 - int(body) % 97:02d}"


def population(n: int, rng: random.Random, fake) -> list[Person]:
    people = []
    orders: Counter = Counter()  # the NIR's order number is unique per sex, year and month of birth, and place

    def nir_of(sex: str, born: date, place: str) -> str:
        orders[sex, born.year, born.month, place] += 1
        return nir(sex, born, place, orders[sex, born.year, born.month, place])

    for key in range(n):
        sex = rng.choice("FM")
        given = tuple(fake.first_name_female() if sex == "F" else fake.first_name_male()
                      for _ in range(rng.choice((1, 1, 2, 2, 3))))
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(0, 365 * 75))
        person = Person(key, fake.last_name(), given, sex, born, rng.choice(BIRTHPLACES),
                        fake.last_name() if sex == "F" and rng.random() < 0.45 else "", "")
        people.append(replace(person, ins=nir_of(sex, born, person.birthplace)))
        roll = rng.random()
        if roll < 0.01:  # a twin: same family name, birth date and birthplace, other given names
            twin_given = (fake.first_name_female() if sex == "F" else fake.first_name_male(),)
            people.append(replace(person, key=n + key, given_names=twin_given, married_name="",
                                  ins=nir_of(sex, born, person.birthplace)))
        elif roll < 0.015:  # a perfect homonym, born elsewhere
            place = rng.choice([p for p in BIRTHPLACES if p != person.birthplace])
            people.append(replace(person, key=2 * n + key, birthplace=place, married_name="",
                                  ins=nir_of(sex, born, place)))
    return people


def typo(value: str, rng: random.Random) -> str:
    if len(value) < 4:
        return value
    i = rng.randrange(1, len(value) - 1)
    return value[:i] + value[i + 1] + value[i] + value[i + 2:]


def noisy_date(born: date, rng: random.Random) -> date:
    """Day and month swapped, the wrong century, or one digit mistyped (day units, year tens or units)."""
    roll = rng.random()
    if roll < 0.3 and born.day <= 12:
        return date(born.year, born.day, born.month)
    if roll < 0.5:
        return date(born.year + rng.choice((-100, 100)), born.month, born.day)
    digits = born.strftime("%d%m%Y")
    for _ in range(10):
        position = rng.choice((1, 6, 7))
        typed = digits[:position] + rng.choice("0123456789".replace(digits[position], "")) + digits[position + 1:]
        try:
            return date(int(typed[4:]), int(typed[2:4]), int(typed[:2]))
        except ValueError:
            continue
    return born


def records(people: list[Person], rng: random.Random) -> list[tuple[Person, int, dict]]:
    """(person, hospital, identity) for each record a hospital sends, in a shuffled order."""
    out = []
    for person in people:
        for hospital in rng.sample(range(HOSPITALS), rng.choice((1, 1, 1, 2, 2, 3))):
            given = list(person.given_names)
            traits = {"birth_name": person.birth_name, "birth_given_names": " ".join(given), "sex": person.sex,
                      "birth_date": person.birth_date, "birthplace_insee": person.birthplace,
                      "used_name": person.married_name}
            if person.married_name and rng.random() < 0.25:
                traits["birth_name"] = person.married_name  # the married name in the family-name field
            if len(given) > 1 and rng.random() < 0.1:
                traits["birth_given_names"] = " ".join(given[1:] + given[:1])
            if rng.random() < 0.04:
                traits["birth_date"] = noisy_date(person.birth_date, rng)
            if rng.random() < 0.03:
                traits["birth_name"] = typo(traits["birth_name"], rng)
            if rng.random() < 0.3:
                traits["birthplace_insee"] = ""
            if rng.random() < 0.4:
                traits["ins_matricule"] = person.ins if rng.random() > 0.01 else person.ins[:-2] + "00"
                traits["identity_status"] = "QUAL" if rng.random() < 0.5 else "VALI"
            out.append((person, hospital, traits))
    rng.shuffle(out)
    return out


def pairs(n: int) -> int:
    return n * (n - 1) // 2


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=15)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cleanup = setup(Path(tmp))
        try:
            report = run(options.persons, options.seed)
        finally:
            cleanup()
    for line in report:
        print(line)
    return 0


def run(persons: int, seed: int) -> list[str]:
    from django.db import transaction
    from faker import Faker

    from oncodcc.core.actors import SystemActor
    from oncodcc.directory.models import Organisation
    from oncodcc.patients import inbound
    from oncodcc.patients.models import OID_INS_NIR, Patient

    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    people = population(persons, rng, fake)
    sent = records(people, rng)
    hospitals = [Organisation.objects.create(name=f"CH bench {i}", kind=Organisation.Kind.SITE,
                                             oid=f"1.2.250.1.999.15.{i}") for i in range(HOSPITALS)]
    actors = [SystemActor(label=f"HL7 {h.name}", role="hl7", organisation=h) for h in hospitals]
    patient_of_record: list[int] = []
    refused = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    for n, (_person, hospital, traits) in enumerate(sent):
        incoming = inbound.IncomingIdentity(ipp=f"IPP{n}", ins_oid=OID_INS_NIR if traits.get("ins_matricule") else "",
                                            **traits)
        try:  # as the HL7 channel does: a refusal rolls back, then its incident is recorded
            with inbound.incidents_recorded(), transaction.atomic():
                resolution = inbound.resolve(actor=actors[hospital], organisation=hospitals[hospital],
                                             incoming=incoming, channel="hl7")
        except inbound.IdentityError as exc:
            refused += 1
            # An INS known with other traits: the identity is set aside as a record for the worklist, whose first
            # candidate is the INS holder. Any other refusal: a record of its own, never linked.
            aside = getattr(exc, "set_aside_pk", None)
            patient_of_record.append(aside or -n - 1)
            continue
        patient_of_record.append(resolution.patient.pk)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    person_of_record = [person.key for person, _, _ in sent]
    before = measure(people, person_of_record, patient_of_record)

    # A DSRC administrator confirms the certain tier, one button per page, until none is left.
    from oncodcc.accounts.models import Role, User
    from oncodcc.patients import certain

    admin = User.objects.create(username="bench-dsrc", role=Role.ADMIN_DSRC,
                                organisation=Organisation.objects.create(name="DSRC bench",
                                                                         kind=Organisation.Kind.DSRC))
    confirmed = 0
    while pairs_shown := certain.certain_pairs(user=admin):
        merged = certain.confirm(actor=admin, keys=[p.key for p in pairs_shown]).merged
        confirmed += len(merged)
        if not merged:
            break
    survivor = dict(Patient.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into_id"))

    def final(pk: int) -> int:
        while pk in survivor:
            pk = survivor[pk]
        return pk

    after = measure(people, person_of_record, [final(pk) for pk in patient_of_record])
    return [
        f"{len(people)} persons, {len(sent)} records from {HOSPITALS} hospitals (seed {seed}); "
        f"{before.true_pairs} true duplicate pairs of records; {refused} records refused",
        "— as filed by inbound.resolve (automatic: IPP, same INS):",
        *before.lines(len(sent)),
        f"— after the batch confirmation of the certain tier ({confirmed} pairs merged):",
        *after.lines(len(sent)),
        f"throughput: {len(sent) / elapsed:.0f} records/s through inbound.resolve ({elapsed:.1f} s); "
        f"{len(sent) / cpu:.0f} records per CPU second (a shared machine's load does not count)",
    ]


@dataclass
class Measure:
    true_pairs: int
    auto: tuple[int, int]  # true pairs, predicted pairs
    reviewed: tuple[int, int]
    risky_links: int
    flagged: int

    def prf(self, tp: int, predicted: int) -> str:
        precision = tp / predicted if predicted else 1.0
        recall = tp / self.true_pairs if self.true_pairs else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return f"precision {precision:.4f}, recall {recall:.4f}, F1 {f1:.4f}"

    def lines(self, records: int) -> list[str]:
        return [
            f"  links: {self.prf(*self.auto)}",
            f"  links + worklist: {self.prf(self.auto[0] + self.reviewed[0], self.auto[1] + self.reviewed[1])}",
            f"  links between distinct people with the same family name and birth date: {self.risky_links}",
            f"  worklist: {self.flagged} flagged records = {self.flagged / records:.1%} of incoming records",
        ]


def measure(people: list[Person], person_of_record: list[int], patient_of_record: list[int]) -> Measure:
    from oncodcc.patients import vigilance
    from oncodcc.patients.models import Patient

    by_person = Counter(person_of_record)
    true_pairs = sum(pairs(c) for c in by_person.values())
    members: dict[int, list[int]] = defaultdict(list)  # patient -> record indexes
    for index, pk in enumerate(patient_of_record):
        members[pk].append(index)
    auto_pairs = sum(pairs(len(m)) for m in members.values())
    auto_true = sum(pairs(c) for m in members.values() for c in Counter(person_of_record[i] for i in m).values())
    people_by_key = {p.key: p for p in people}
    risky_links = 0
    for m in members.values():
        keys = sorted({person_of_record[i] for i in m})
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                pa, pb = people_by_key[a], people_by_key[b]
                if pa.birth_name == pb.birth_name and pa.birth_date == pb.birth_date:
                    risky_links += 1

    flagged = [p for p in Patient.objects.filter(merged_into__isnull=True) if p.is_potential_duplicate]
    shown: set[tuple[int, int]] = set()
    for patient in flagged:
        for match in vigilance._candidates(patient):  # what the reviewer is shown (the INS holder first)
            shown.add(tuple(sorted((patient.pk, match.patient.pk))))
    review_pairs = review_true = 0
    for a, b in shown:
        left, right = members.get(a, []), members.get(b, [])
        review_pairs += len(left) * len(right)
        review_true += sum(1 for i in left for j in right if person_of_record[i] == person_of_record[j])

    return Measure(true_pairs, (auto_true, auto_pairs), (review_true, review_pairs), risky_links, len(flagged))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
