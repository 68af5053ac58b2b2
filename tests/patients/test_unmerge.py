"""Unmerge: both records and every moved relation restored from the merge's before-image; audited; the pair is
remembered as "pas un doublon"; refusals in French; the page for DSRC administrators."""

from datetime import date

import pytest

from oncodcc.audit.models import AuditEvent
from oncodcc.patients import candidates, vigilance
from oncodcc.patients.merge import MERGE_RELATIONS, MergeRefused, merge, patient_relations, unmerge
from oncodcc.patients.models import OID_INS_NIR, CareTeamMember, PairDecision, Patient, PatientIdentifier
from oncodcc.rcp.models import Registration
from tests import factories as f
from tests import samples

BIRTH = date(1955, 8, 21)
URL = "/patients/identitovigilance/fusions/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    return f.UserFactory(role="admin_dsrc", organisation=f.DsrcFactory())


def person(**kw):
    traits = {"birth_name": "Giraud", "birth_given_names": "Yvette", "first_birth_given_name": "Yvette",
              "birth_date": BIRTH, "sex": "F", "birthplace_insee": "33063"}
    return f.PatientFactory(**{**traits, **kw})


@pytest.fixture
def pair():
    """Two records of two different people wrongly merged: each with its IPP, care team and registration; the
    absorbed one with a qualified INS and the DPOT flag."""
    survivor = person()
    absorbed = person(birth_given_names="Yvonne", first_birth_given_name="Yvonne", identity_status="QUAL",
                      ins_oid=OID_INS_NIR, ins_matricule=samples.nir(sex="F", birth_date=BIRTH),
                      identity_flags=["DPOT"])
    for patient, ipp in ((survivor, "S-1"), (absorbed, "A-1")):
        PatientIdentifier.objects.create(patient=patient, system="1.2.250.1.999.1", value=ipp)
        f.RegistrationFactory(patient=patient)
    shared, own = f.PractitionerFactory(), f.PractitionerFactory()
    CareTeamMember.objects.create(patient=survivor, practitioner=shared)
    CareTeamMember.objects.create(patient=absorbed, practitioner=own)
    return survivor, absorbed


def snapshot(patient: Patient) -> dict:
    relations = patient_relations()
    rows = {accessor: sorted(relations[accessor].related_model.objects.filter(
        **{relations[accessor].field.name: patient}).values_list("pk", flat=True))
        for accessor, rule in MERGE_RELATIONS.items() if rule != "keep"}
    patient.refresh_from_db()
    return {"rows": rows, "flags": patient.identity_flags, "ins": (patient.ins_matricule, patient.ins_oid),
            "status": patient.identity_status, "merged_into": patient.merged_into_id, "gp": patient.gp_id}


def test_unmerge_restores_both_records_and_every_moved_relation(pair, reviewer):
    survivor, absorbed = pair
    before = {p.pk: snapshot(p) for p in pair}
    record = merge(actor=reviewer, survivor=survivor, absorbed=absorbed, reason="Doublon supposé.")
    assert snapshot(absorbed)["merged_into"] == survivor.pk and snapshot(survivor)["ins"][0] != ""
    assert snapshot(survivor)["status"] == "QUAL"  # the merge gave it the absorbed record's INS and status

    vigilance.undo_merge(actor=reviewer, merge_id=record.pk, reason="Deux sœurs, vérifié sur pièce.")

    assert {p.pk: snapshot(p) for p in pair} == before
    record.refresh_from_db()
    assert record.unmerged_at is not None and record.unmerge_reason == "Deux sœurs, vérifié sur pièce."
    events = AuditEvent.objects.filter(action="patient.unmerge")
    assert sorted(events.values_list("patient_id", flat=True)) == sorted([survivor.pk, absorbed.pk])
    low, high = sorted((survivor.pk, absorbed.pk))
    assert PairDecision.objects.filter(patient_low_id=low, patient_high_id=high, decision="not_duplicate").exists()
    assert absorbed.pk not in [m.patient.pk for m in candidates.find(survivor)]


def test_rows_added_after_the_merge_stay_with_the_survivor(pair, reviewer):
    survivor, absorbed = pair
    record = merge(actor=reviewer, survivor=survivor, absorbed=absorbed, reason="Doublon supposé.")
    later = f.RegistrationFactory(patient=survivor)
    unmerge(actor=reviewer, record=record, reason="Erreur de fusion.")
    assert Registration.objects.get(pk=later.pk).patient_id == survivor.pk


def test_unmerge_refusals(pair, reviewer):
    survivor, absorbed = pair
    record = merge(actor=reviewer, survivor=survivor, absorbed=absorbed, reason="Doublon supposé.")
    third = person(birth_name="Autre")
    merge(actor=reviewer, survivor=third, absorbed=survivor, reason="Encore un doublon.")
    with pytest.raises(MergeRefused, match="annulez d'abord cette fusion-là"):
        unmerge(actor=reviewer, record=record, reason="Erreur.")
    with pytest.raises(Exception, match="au moins 5 caractères"):
        vigilance.undo_merge(actor=reviewer, merge_id=record.pk, reason="non")
    with pytest.raises(vigilance.PermissionDenied):
        vigilance.undo_merge(actor=f.DoctorFactory(), merge_id=record.pk, reason="Erreur de fusion.")


def test_unmerge_twice_is_refused(pair, reviewer):
    survivor, absorbed = pair
    record = merge(actor=reviewer, survivor=survivor, absorbed=absorbed, reason="Doublon supposé.")
    unmerge(actor=reviewer, record=record, reason="Erreur de fusion.")
    with pytest.raises(MergeRefused, match="déjà été annulée"):
        unmerge(actor=reviewer, record=record, reason="Erreur de fusion.")


def test_merges_page_lists_and_undoes(client, pair, reviewer):
    survivor, absorbed = pair
    record = merge(actor=reviewer, survivor=survivor, absorbed=absorbed, reason="Doublon supposé.")
    client.force_login(reviewer)
    page = client.get(URL)
    assert page.status_code == 200 and "Annuler la fusion" in page.content.decode()
    assert AuditEvent.objects.filter(action="patient.list", details__page="identity_merges").exists()
    response = client.post(f"{URL}{record.pk}/annuler/", {"reason": "Deux personnes distinctes."})
    assert response.status_code == 302
    absorbed.refresh_from_db()
    assert absorbed.merged_into_id is None
    again = client.post(f"{URL}{record.pk}/annuler/", {"reason": "Deux personnes distinctes."})
    assert again.status_code == 400 and "déjà été annulée" in again.content.decode()
    assert client.post(f"{URL}999999/annuler/", {"reason": "Deux personnes distinctes."}).status_code == 404


def test_merges_page_is_for_identity_reviewers_only(client):
    client.force_login(f.DoctorFactory())
    assert client.get(URL).status_code == 403
