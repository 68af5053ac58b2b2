"""Candidate search (blocking + comparison), re-search in both directions, remembered "pas un doublon" decisions,
and inbound identities filed with their INS set aside."""

from datetime import date

import pytest

from oncodcc.audit.models import AuditEvent
from oncodcc.core.actors import SystemActor
from oncodcc.patients import candidates, inbound, matching, vigilance
from oncodcc.patients.inbound import IncomingIdentity
from oncodcc.patients.models import OID_INS_NIR, PairDecision, Patient
from tests import factories as f
from tests import samples

BIRTH = date(1958, 3, 9)
pytestmark = pytest.mark.django_db


@pytest.fixture
def hospital():
    return f.OrganisationFactory(oid="1.2.250.1.71.4.2.1.9001")


@pytest.fixture
def hl7(hospital):
    return SystemActor(label=f"HL7 {hospital.name}", role="hl7", organisation=hospital)


@pytest.fixture
def reviewer():
    return f.UserFactory(role="admin_dsrc", organisation=f.DsrcFactory())


def stored(**kw):
    traits = {"birth_name": "Lemoine", "birth_given_names": "Odile Marie", "first_birth_given_name": "Odile",
              "birth_date": BIRTH, "sex": "F", "birthplace_insee": "69123"}
    return f.PatientFactory(**{**traits, **kw})


def arrive(hl7, hospital, **kw) -> Patient:
    data = {"ipp": "IPP-N1", "birth_name": "Lemoine", "birth_given_names": "Odile Marie", "birth_date": BIRTH,
            "sex": "F", "birthplace_insee": "69123"}
    return inbound.resolve(actor=hl7, organisation=hospital, channel="hl7",
                           incoming=IncomingIdentity(**{**data, **kw})).patient


def test_married_name_sent_as_family_name_is_found_and_flagged(hl7, hospital):
    known = stored(used_name="Berthier")
    newcomer = arrive(hl7, hospital, birth_name="BERTHIER", birthplace_insee="")
    assert newcomer.is_potential_duplicate
    [match] = candidates.find(newcomer)
    assert (match.patient.pk, match.comparison.level("name"), match.tier) == (known.pk, "cross",
                                                                             matching.Tier.PROBABLE)
    assert newcomer.vigilance_rank == matching.TIER_RANK[matching.Tier.PROBABLE]


def test_century_typo_is_found(hl7, hospital):
    known = stored()
    newcomer = arrive(hl7, hospital, birth_date=date(2058, 3, 9))
    assert [m.patient.pk for m in candidates.find(newcomer)] == [known.pk]


def test_one_digit_typo_found_only_with_a_name_that_sounds_alike(hl7, hospital):
    stored(birth_name="Lemoyne")
    stored(birth_name="Durand", birth_given_names="Odile", first_birth_given_name="Odile")
    newcomer = arrive(hl7, hospital, birth_date=date(1958, 3, 8))
    assert [m.patient.birth_name for m in candidates.find(newcomer)] == ["Lemoyne"]


def test_twins_are_flagged_with_the_twin_tier_and_never_attached(hl7, hospital):
    sister = stored()
    twin = arrive(hl7, hospital, birth_given_names="Sophie Anne")
    assert twin.pk != sister.pk and twin.is_potential_duplicate
    [match] = candidates.find(twin)
    assert match.tier is matching.Tier.TWIN_RISK and "jumeaux" in match.comparison.warning


def test_a_change_of_traits_searches_again(hl7, hospital):
    known = stored(birth_name="Marchetti")
    newcomer = arrive(hl7, hospital, birth_name="Vasseur", birth_given_names="Laure", birthplace_insee="")
    assert not newcomer.is_potential_duplicate
    # the hospital corrects the identity: the record now resembles the known one
    updated = arrive(hl7, hospital, birth_name="Marchetti", birth_given_names="Odile Marie")
    assert updated.pk == newcomer.pk
    updated.refresh_from_db()
    assert updated.is_potential_duplicate and [m.patient.pk for m in candidates.find(updated)] == [known.pk]


def test_found_from_the_other_side_when_the_known_record_changes(hl7, hospital):
    newcomer = arrive(hl7, hospital, birth_name="Vasseur", birth_given_names="Laure")
    known = stored(birth_name="Perrin", birth_given_names="Laure", first_birth_given_name="Laure",
                   birthplace_insee="")
    assert candidates.find(known) == []
    known.used_name = "Vasseur"
    known.save()
    assert [m.patient.pk for m in candidates.refresh(known)] == [newcomer.pk]
    known.refresh_from_db()
    assert known.is_potential_duplicate


def test_not_a_duplicate_is_remembered_for_the_pair_and_audited(hl7, hospital, reviewer):
    known = stored()
    twin = arrive(hl7, hospital, birth_given_names="Sophie")
    vigilance.dismiss(actor=reviewer, patient_id=twin.pk, note="Sœurs jumelles, vérifié sur pièce.")
    low, high = sorted((known.pk, twin.pk))
    decision = PairDecision.objects.get(patient_low_id=low, patient_high_id=high)
    assert decision.decision == "not_duplicate" and decision.decided_by == reviewer
    assert candidates.find(twin) == [] and candidates.find(known) == []  # from both sides
    # the hospital sends the identity again: never proposed again, not flagged again
    again = arrive(hl7, hospital, birth_given_names="Sophie", birthplace_insee="69123")
    again.refresh_from_db()
    assert again.pk == twin.pk and not again.is_potential_duplicate
    assert AuditEvent.objects.filter(patient_id=known.pk, details__identity_vigilance="not_duplicate_of").exists()
    # another record like them is still proposed
    third = stored(birth_given_names="Sophie", first_birth_given_name="Sophie")
    assert [m.patient.pk for m in candidates.find(twin)] == [third.pk]


def test_worklist_sorted_by_tier_then_score_with_evidence(client, hl7, hospital, reviewer):
    stored()
    stored(birth_name="Carpentier", birth_given_names="Julien", first_birth_given_name="Julien", sex="M")
    twin = arrive(hl7, hospital, ipp="T1", birth_given_names="Sophie")
    certain = arrive(hl7, hospital, ipp="C1", birth_name="Carpentier", birth_given_names="Julien", sex="M")
    probable = arrive(hl7, hospital, ipp="P1", birth_name="LEMOINE", birth_date=date(1958, 9, 3))
    work = vigilance.worklist(user=reviewer)
    assert [e.patient.pk for e in work.entries] == [certain.pk, probable.pk, twin.pk]
    assert [e.tier_label for e in work.entries] == ["Certain", "Probable", "Risque jumeaux / homonymes"]
    evidence = dict(work.entries[1].evidence_rows)
    assert evidence["Date de naissance"] == [f"jour et mois inversés (+{matching.DATE_LEVELS['swap'].weight:.1f})"]
    client.force_login(reviewer)
    page = client.get("/patients/identitovigilance/").content.decode()
    assert "Jamais fusionné automatiquement" in page and "jour et mois inversés" in page


@pytest.mark.parametrize(("matricule", "code"), [
    ("258039912345600", inbound.INS_INVALID_KEY),  # wrong control key
    (None, inbound.INS_INCOHERENT),  # a valid NIR of a man born another month
])
def test_an_ins_that_fails_its_checks_is_set_aside_and_the_identity_filed(hl7, hospital, matricule, code):
    if matricule is None:
        matricule = samples.nir(sex="M", birth_date=date(1958, 7, 9))
    resolution = inbound.resolve(actor=hl7, organisation=hospital, channel="hl7", incoming=IncomingIdentity(
        ipp="IPP-INS", birth_name="Lemoine", birth_given_names="Odile", birth_date=BIRTH, sex="F",
        ins_matricule=matricule, ins_oid=OID_INS_NIR, identity_status="QUAL"))
    patient = resolution.patient
    assert (patient.ins_matricule, patient.ins_oid, patient.identity_status) == ("", "", "PROV")
    assert {"DPOT", "DOUT"} <= set(patient.identity_flags)
    assert len(resolution.warnings) == 1 and "enregistrée sans ce matricule INS" in resolution.warnings[0]
    event = AuditEvent.objects.get(action="patient.create", patient_id=patient.pk)
    assert event.details["ins_set_aside"] == code
    assert matricule not in str(event.details)


def test_an_ins_set_aside_on_a_known_record_flags_it_and_keeps_its_traits(hl7, hospital):
    patient = arrive(hl7, hospital)
    with inbound.warnings_collected() as warnings:
        arrive(hl7, hospital, ins_matricule="258039912345600", ins_oid=OID_INS_NIR)
    patient.refresh_from_db()
    assert patient.ins_matricule == "" and {"DPOT", "DOUT"} <= set(patient.identity_flags)
    assert len(warnings) == 1
