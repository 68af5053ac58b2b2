"""The identity comparison (Fellegi–Sunter levels), its tiers and blocking keys — pure functions, no database."""

from datetime import date
from types import SimpleNamespace

import pytest

from oncodcc.patients.matching import (
    PROBABLE_THRESHOLD,
    Tier,
    compare,
    date_variants,
    name_keys,
    phonetic_key,
)

INS_OID = "1.2.250.1.213.1.4.8"


def person(**overrides):
    traits = {"birth_name": "MARCHAND", "used_name": "", "birth_given_names": "Camille Louise",
              "first_birth_given_name": "Camille", "used_given_name": "", "birth_date": date(1968, 4, 23),
              "sex": "F", "birthplace_insee": "31555", "ins_matricule": "", "ins_oid": "",
              "identity_status": "PROV"}
    traits.update(overrides)
    return SimpleNamespace(**traits)


@pytest.mark.parametrize(("left", "right"), [
    ("DUPOND", "Dupont"), ("LEFEBVRE", "Lefèvre"), ("GAUTHIER", "Gautier"), ("Philippe", "Filipe"),
    ("Catherine", "Katherine"), ("Mathieu", "Matthieu"), ("Rousseau", "ROUSSOT"),
])
def test_phonetic_key_equates_french_spellings(left, right):
    assert phonetic_key(left) == phonetic_key(right) != ""


@pytest.mark.parametrize(("left", "right"), [("DURAND", "BERNARD"), ("MARTIN", "MARTY"), ("Paul", "Pierre")])
def test_phonetic_key_separates_other_names(left, right):
    assert phonetic_key(left) != phonetic_key(right)


def test_identical_identities_are_certain_and_explained():
    result = compare(person(), person(birth_name="Marchand", birth_given_names="CAMILLE LOUISE"))
    assert result.tier is Tier.CERTAIN
    assert {e.trait: e.level.code for e in result.evidence} == {
        "name": "exact", "given": "exact", "birth_date": "exact", "sex": "same", "birthplace": "same",
        "ins": "missing"}
    assert result.score == pytest.approx(sum(e.weight for e in result.evidence))
    assert all(e.weight > 0 for e in result.evidence if e.trait != "ins")


def test_without_birthplace_a_perfect_match_is_probable_not_certain():
    result = compare(person(), person(birthplace_insee=""))
    assert (result.tier, result.level("birthplace")) == (Tier.PROBABLE, "missing")


def test_married_name_sent_as_family_name_meets_the_stored_used_name():
    stored = person(used_name="Lefèvre")
    incoming = person(birth_name="LEFEVRE")  # the hospital put the married name in the family-name field
    result = compare(incoming, stored)
    assert result.level("name") == "cross"
    assert result.tier is Tier.PROBABLE
    # and from the other side: the comparison is symmetric
    assert compare(stored, incoming).score == result.score


def test_married_name_on_both_sides_with_different_birth_names_in_one():
    result = compare(person(birth_name="GIRAUD", used_name="MARCHAND"), person(birth_name="MARCHAND"))
    assert result.level("name") == "cross" and result.tier is Tier.PROBABLE


def test_given_names_in_another_order():
    result = compare(person(birth_given_names="Louise Camille", first_birth_given_name="Louise"), person())
    assert result.level("given") == "reordered"
    assert result.tier is Tier.PROBABLE


def test_used_given_name_counts_as_a_given_name():
    result = compare(person(birth_given_names="Marie", first_birth_given_name="Marie", used_given_name="Camille"),
                     person())
    assert result.level("given") == "reordered"


@pytest.mark.parametrize(("other", "level"), [
    (date(1968, 4, 23), "exact"), (date(2068, 4, 23), "century"), (date(1868, 4, 23), "century"), (date(1968, 4, 28), "typo"),
    (date(1965, 4, 23), "typo"), (date(1968, 5, 23), "typo"), (date(1971, 9, 2), "different"),
])
def test_birth_date_tolerance(other, level):
    assert compare(person(), person(birth_date=other)).level("birth_date") == level


def test_day_and_month_swapped():
    result = compare(person(birth_date=date(1968, 4, 11)), person(birth_date=date(1968, 11, 4)))
    assert result.level("birth_date") == "swap"
    assert result.tier is Tier.PROBABLE


def test_century_typo_is_still_probable():
    assert compare(person(), person(birth_date=date(2068, 4, 23))).tier is Tier.PROBABLE


def test_twins_are_never_certain_and_carry_a_warning():
    twin = person(birth_given_names="Élise", first_birth_given_name="Élise")
    result = compare(person(), twin)
    assert result.tier is Tier.TWIN_RISK
    assert "jumeaux ou homonymes" in result.warning and "prénoms différents" in result.warning


def test_perfect_homonyms_born_elsewhere_are_a_twin_homonym_risk():
    result = compare(person(), person(birthplace_insee="75056"))
    assert result.tier is Tier.TWIN_RISK and "lieux de naissance différents" in result.warning


def test_twins_with_a_close_given_name_are_still_a_risk():
    # Jean / Jeanne: close spellings, two people
    result = compare(person(birth_given_names="Jean", first_birth_given_name="Jean", sex=""),
                     person(birth_given_names="Jeanne", first_birth_given_name="Jeanne", sex=""))
    assert result.tier is Tier.TWIN_RISK


def test_same_qualified_ins_is_certain():
    ins = {"ins_matricule": "268042315512345", "ins_oid": INS_OID, "identity_status": "QUAL"}
    result = compare(person(**ins, birthplace_insee=""), person(**ins, birth_name="MARCHANT"))
    assert result.tier is Tier.CERTAIN and result.level("ins") == "same"


def test_different_ins_is_never_certain_nor_probable():
    left = person(ins_matricule="268042315512345", ins_oid=INS_OID)
    right = person(ins_matricule="268042315599999", ins_oid=INS_OID, birthplace_insee="")
    result = compare(left, right)
    assert result.level("ins") == "different" and result.tier is not Tier.CERTAIN
    assert compare(left, person(ins_matricule="268042315599999", ins_oid=INS_OID,
                                birth_name="MARCHANT")).tier is Tier.UNLIKELY


def test_same_given_name_birth_date_and_sex_with_another_family_name_is_unlikely():
    # thousands of such pairs of strangers in a region: not shown without a birthplace that agrees
    assert compare(person(), person(birth_name="BERNARD", birthplace_insee="")).tier is Tier.UNLIKELY
    assert compare(person(), person(birth_name="BERNARD")).tier is Tier.PROBABLE


def test_same_birth_date_with_other_names_is_unlikely():
    result = compare(person(), person(birth_name="BERNARD", birth_given_names="Paul", first_birth_given_name="Paul",
                                      sex="M", birthplace_insee=""))
    assert result.tier is Tier.UNLIKELY and result.score < PROBABLE_THRESHOLD


def test_name_typo_with_a_date_typo_is_probable():
    result = compare(person(), person(birth_name="MARCHAMD", birth_date=date(1968, 4, 28)))
    assert (result.level("name"), result.level("birth_date")) == ("close", "typo")
    assert result.tier is Tier.PROBABLE


def test_different_sex_weighs_against():
    same = compare(person(), person(birthplace_insee=""))
    other = compare(person(), person(birthplace_insee="", sex="M"))
    assert other.score < same.score - 5


def test_date_variants_cover_swap_century_and_one_digit():
    variants = date_variants(date(1968, 4, 11))
    assert {date(1968, 4, 11), date(1968, 11, 4), date(2068, 4, 11), date(1868, 4, 11), date(1968, 4, 17),
            date(1963, 4, 11), date(1968, 9, 11)} <= variants
    assert date(1970, 1, 1) not in variants
    assert all(1850 <= d.year <= 2200 for d in variants)


def test_name_keys_include_used_name():
    assert name_keys(person(used_name="Dupont")) == {phonetic_key("MARCHAND"), phonetic_key("DUPOND")}
