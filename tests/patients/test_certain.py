"""The certain tier confirmed in one button: listed with evidence for DSRC administrators only, twins and
homonyms never listed, each pair re-checked when posted (tampered or stale pairs skipped), merged and audited per
pair, undoable with the existing unmerge; the same INS files automatically."""

import html
from datetime import date

import pytest

from oncodcc.audit.models import AuditEvent
from oncodcc.core.actors import SystemActor
from oncodcc.patients import certain, inbound, vigilance
from oncodcc.patients.inbound import IncomingIdentity
from oncodcc.patients.models import OID_INS_NIR, Patient, PatientMerge
from tests import factories as f
from tests import samples

pytestmark = pytest.mark.django_db
URL = "/patients/identitovigilance/certains/"
BIRTH = date(1957, 2, 14)


@pytest.fixture
def hospital():
    return samples.hospital(name="CH de Test-la-Forêt")


@pytest.fixture
def hl7(hospital):
    return SystemActor(label=f"HL7 {hospital}/DPI", role="hl7", organisation=hospital)


@pytest.fixture
def reviewer():
    return f.UserFactory(role="admin_dsrc", organisation=f.DsrcFactory())


@pytest.fixture
def existing():
    return f.PatientFactory(birth_name="Garnier", birth_given_names="Colette Anne", first_birth_given_name="Colette",
                            birth_date=BIRTH, sex="F", birthplace_insee="69123")


def arrive(hl7, hospital, ipp, **traits) -> Patient:
    data = {"birth_name": "GARNIER", "birth_given_names": "Colette", "birth_date": BIRTH, "sex": "F",
            "birthplace_insee": "69123"}
    return inbound.resolve(actor=hl7, organisation=hospital, channel="hl7",
                           incoming=IncomingIdentity(ipp=ipp, **{**data, **traits})).patient


@pytest.fixture
def certain_one(hl7, hospital, existing):
    patient = arrive(hl7, hospital, "IPP-1")
    assert patient.pk != existing.pk and patient.identity_flags == ["DPOT"]
    return patient


@pytest.fixture
def twin(hl7, hospital, existing):
    """Same family name, birth date and birthplace, another given name: the twin/homonym tier."""
    patient = arrive(hl7, hospital, "IPP-2", birth_given_names="Martine")
    assert patient.is_potential_duplicate
    return patient


def page(client, user):
    client.force_login(user)
    return client.get(URL)


def test_lists_certain_pairs_with_evidence_never_twins(client, reviewer, existing, certain_one, twin):
    response = page(client, reviewer)
    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    pairs = response.context["pairs"]
    assert [(p.flagged.pk, p.candidate.pk) for p in pairs] == [(certain_one.pk, existing.pk)]
    assert f'value="{certain_one.pk}:{existing.pk}"' in body and f"n° {twin.pk}" not in body
    assert "Lieu de naissance : " in body and "Confirmer et fusionner 1 paire" in body
    listed = AuditEvent.objects.get(action="patient.list", actor_id=reviewer.pk)
    assert listed.details["page"] == "identity_vigilance_certain"
    assert listed.details["patients"] == sorted([existing.pk, certain_one.pk])


@pytest.mark.parametrize("role", ["doctor", "secretary", "coordinator", "admin_3c", "dpo"])
def test_other_roles_are_refused(client, existing, certain_one, role):
    user = f.DoctorFactory(role=role) if role in {"doctor", "coordinator"} else f.UserFactory(role=role)
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"pair": f"{certain_one.pk}:{existing.pk}"}).status_code == 403
    assert not PatientMerge.objects.exists()


def test_one_button_merges_each_pair_audited_and_undoable(client, reviewer, existing, certain_one, twin):
    client.force_login(reviewer)
    response = client.post(URL, {"pair": [f"{certain_one.pk}:{existing.pk}"]}, follow=True)
    assert "1 paire certaine fusionnée" in html.unescape(response.content.decode())
    certain_one.refresh_from_db()
    assert certain_one.merged_into_id == existing.pk
    record = PatientMerge.objects.get()
    assert (record.survivor_id, record.absorbed_id) == (existing.pk, certain_one.pk)
    assert record.reason == certain.BATCH_REASON
    confirmed = AuditEvent.objects.filter(details__identity_vigilance="certain_confirmed")
    assert sorted(e.patient_id for e in confirmed) == sorted([existing.pk, certain_one.pk])
    assert {e["trait"] for e in confirmed[0].details["evidence"]} >= {"name", "birthplace"}
    assert AuditEvent.objects.filter(action="patient.merge").exists()
    twin.refresh_from_db()
    assert twin.merged_into_id is None and twin.is_potential_duplicate  # never merged by the batch
    # Undone with the existing unmerge.
    vigilance.undo_merge(actor=reviewer, merge_id=record.pk, reason="Vérification : deux personnes")
    certain_one.refresh_from_db()
    assert certain_one.merged_into_id is None


def test_tampered_and_stale_pairs_are_skipped(client, reviewer, existing, certain_one, twin):
    client.force_login(reviewer)
    # The twin pair posted by hand is not certain: skipped, nothing merged.
    response = client.post(URL, {"pair": [f"{twin.pk}:{existing.pk}"]}, follow=True)
    assert "Aucune paire fusionnée ; 1 paire écartée" in html.unescape(response.content.decode())
    # A trait changed since the page was shown: the pair is no longer certain, skipped.
    Patient.objects.filter(pk=existing.pk).update(birthplace_insee="31555")
    assert certain.confirm(actor=reviewer, keys=[f"{certain_one.pk}:{existing.pk}"]).skipped == 1
    assert not PatientMerge.objects.exists()


@pytest.mark.parametrize("posted", [{}, {"pair": "abc"}, {"pair": "12:"}])
def test_bad_input_is_a_french_400(client, reviewer, existing, certain_one, posted):
    client.force_login(reviewer)
    response = client.post(URL, posted)
    assert response.status_code == 400
    assert "paire" in html.unescape(response.content.decode()).lower()
    assert not PatientMerge.objects.exists()


def test_both_sides_flagged_are_listed_once_and_both_flags_settled(reviewer, existing, certain_one):
    Patient.objects.filter(pk=existing.pk).update(identity_flags=["DPOT"], vigilance_rank=0, vigilance_score=40)
    pairs = certain.certain_pairs(user=reviewer)
    assert len(pairs) == 1
    certain.confirm(actor=reviewer, keys=[p.key for p in pairs])
    assert not vigilance.flagged().exists()


def test_same_ins_files_automatically(hl7, hospital, existing):
    ins = "257026912300124"
    Patient.objects.filter(pk=existing.pk).update(ins_matricule=ins, ins_oid=OID_INS_NIR, identity_status="QUAL")
    patient = arrive(hl7, hospital, "IPP-9", ins_matricule=ins, ins_oid=OID_INS_NIR, identity_status="QUAL")
    assert patient.pk == existing.pk and not patient.is_potential_duplicate
