"""Identity vigilance: the worklist of records flagged "doublon potentiel" for DSRC administrators (identity data
only, one audit event per list), its decisions ("pas un doublon", merge either way, refusals shown in French),
the home page count, the banner of a merged record and its absence from search."""

import html
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncodcc.audit.models import AuditEvent
from oncodcc.core.actors import SystemActor
from oncodcc.patients import inbound, vigilance
from oncodcc.patients.inbound import IncomingIdentity
from oncodcc.patients.models import OID_INS_NIR, CareTeamMember, Patient, PatientIdentifier, PatientMerge
from oncodcc.rcp.models import Registration
from tests import factories as f
from tests import samples

pytestmark = pytest.mark.django_db
URL = "/patients/identitovigilance/"
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
    """The record already in the DCC (a registration holds clinical data the reviewer must not see)."""
    patient = f.PatientFactory(birth_name="Garnier", birth_given_names="Colette Anne", first_birth_given_name="Colette",
                               birth_date=BIRTH, sex="F", birthplace_insee="69123")
    f.RegistrationFactory(patient=patient, question="Question clinique confidentielle ?")
    return patient


def arrive(hl7, hospital, ipp="IPP-555", **traits) -> Patient:
    """A hospital sends an identity close to `existing` without a common IPP or INS: created, flagged DPOT."""
    data = {"birth_name": "GARNIER", "birth_given_names": "Colette", "birth_date": BIRTH, "sex": "F"}
    resolution = inbound.resolve(actor=hl7, organisation=hospital, channel="hl7",
                                 incoming=IncomingIdentity(ipp=ipp, **{**data, **traits}))
    return resolution.patient


@pytest.fixture
def flagged(hl7, hospital, existing):
    patient = arrive(hl7, hospital)
    assert patient.identity_flags == ["DPOT"]
    return patient


def get(client, user, url=URL):
    client.force_login(user)
    return client.get(url)


def text(response) -> str:
    return html.unescape(response.content.decode())


# --- who ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["doctor", "secretary", "coordinator", "admin_3c", "dpo"])
def test_other_roles_are_refused(client, flagged, existing, role):
    user = f.DoctorFactory(role=role) if role in {"doctor", "coordinator"} else f.UserFactory(role=role)
    assert get(client, user).status_code == 403
    dismiss = client.post(f"{URL}{flagged.pk}/pas-un-doublon/", {"note": "Personnes différentes"})
    merge = client.post(f"{URL}{flagged.pk}/fusionner/", {"candidate": existing.pk, "keep": "candidate",
                                                           "reason": "Même personne"})
    assert dismiss.status_code == merge.status_code == 403
    flagged.refresh_from_db()
    assert flagged.identity_flags == ["DPOT"] and flagged.merged_into_id is None
    assert not AuditEvent.objects.filter(action="patient.list", actor_id=user.pk).exists()


def test_dsrc_admin_and_sysadmin_have_the_worklist(client, reviewer, flagged):
    assert get(client, reviewer).status_code == 200
    assert get(client, f.UserFactory(role="sysadmin")).status_code == 200


# --- the list -------------------------------------------------------------------------------------------------------


def test_worklist_lists_flagged_records_oldest_first_with_candidates_side_by_side(
        client, reviewer, hl7, hospital, existing, flagged):
    later = arrive(hl7, hospital, ipp="IPP-777", birth_given_names="Colette Marie")
    f.PatientFactory(birth_name="Sans-Rapport", identity_flags=[])  # not flagged: not listed
    response = get(client, reviewer)
    page = text(response)
    assert response.status_code == 200
    assert [e.patient.pk for e in response.context["worklist"].entries] == [flagged.pk, later.pk]
    assert page.index(f"dossier n° {flagged.pk}") < page.index(f"dossier n° {later.pk}")
    first = page.split(f'id="dossier-{flagged.pk}"')[1].split(f'id="dossier-{later.pk}"')[0]
    # Candidates with their traits side by side, identifiers with their hospital, how the record came in.
    assert f"Candidat n° {existing.pk}" in first and "Sans-Rapport" not in page
    assert "Garnier" in first and "GARNIER" in first and "Colette Anne" in first and "69123" in first
    assert "IPP-555</span> — CH de Test-la-Forêt" in first
    assert "par HL7 CH de Test-la-Forêt/DPI (message HL7 (PAM / ORU))" in first
    # Highlighted: given names and birthplace of `existing`, given names of `later` (also a candidate); not the
    # birth name, which differs only by its case.
    assert first.count('class="trait-differs"') == 3
    assert '<td class="trait-differs">Garnier' not in first
    assert '<td class="trait-differs">Colette Anne<span class="visually-hidden"> (différent)</span></td>' in first
    assert "Identité provisoire" in first
    # Identity data only: no clinical data, no link to a record outside the reviewer's scope.
    assert "Question clinique confidentielle" not in page
    assert f'href="/patients/{existing.pk}/"' not in page and "hors de votre périmètre" in page
    # One audit event for the list, naming every record shown.
    events = AuditEvent.objects.filter(action="patient.list", actor_id=reviewer.pk)
    assert events.count() == 1
    assert set(events.get().details["patients"]) == {flagged.pk, later.pk, existing.pk}
    assert events.get().details["page"] == "identity_vigilance"


def test_empty_worklist(client, reviewer):
    response = get(client, reviewer)
    assert "Aucun doublon potentiel à examiner." in text(response)
    assert not AuditEvent.objects.filter(action="patient.list").exists()


def test_worklist_is_paginated(client, reviewer, hl7, hospital, existing, monkeypatch):
    monkeypatch.setattr(vigilance, "PAGE_SIZE", 2)
    made = [arrive(hl7, hospital, ipp=f"IPP-P{i}") for i in range(3)]
    client.force_login(reviewer)
    second = client.get(URL, {"page": 2})
    assert [e.patient.pk for e in second.context["worklist"].entries] == [made[2].pk]
    assert "Page 2 / 2" in text(second)


def test_worklist_queries_grow_only_by_one_candidate_search_per_flagged_record(client, reviewer, hl7, hospital,
                                                                               existing):
    client.force_login(reviewer)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        arrive(hl7, hospital, ipp=f"IPP-Q{i}")
    small = count()
    for i in range(2, 6):
        PatientIdentifier.objects.create(patient=arrive(hl7, hospital, ipp=f"IPP-Q{i}"), system="1.2.3.9",
                                         value=f"AUTRE-{i}")
    # Identifiers, creation events, visibility: one query each whatever the page holds.
    assert count() == small + 4


def test_home_page_links_the_worklist_with_its_count(client, reviewer, flagged, hl7, hospital):
    arrive(hl7, hospital, ipp="IPP-2")
    page = text(get(client, reviewer, "/"))
    assert 'href="/patients/identitovigilance/"' in page
    assert 'id="vigilance-count">2</span>' in page
    assert "Identitovigilance" not in text(get(client, f.DoctorFactory(), "/"))


# --- decisions ------------------------------------------------------------------------------------------------------


def test_not_a_duplicate_removes_the_flag_and_keeps_the_note(client, reviewer, flagged, existing):
    client.force_login(reviewer)
    response = client.post(f"{URL}{flagged.pk}/pas-un-doublon/",
                           {"note": "Homonyme : autre lieu de naissance vérifié.", "page": "1"})
    assert response.status_code == 302 and response["Location"] == URL
    flagged.refresh_from_db()
    assert flagged.identity_flags == []
    event = AuditEvent.objects.get(action="patient.update", patient_id=flagged.pk, actor_id=reviewer.pk)
    assert event.details["identity_vigilance"] == "not_duplicate"
    assert event.details["note"] == "Homonyme : autre lieu de naissance vérifié."
    assert event.details["candidates"] == [existing.pk]
    page = text(client.get(URL))
    assert "signalement de doublon potentiel levé" in page and "Aucun doublon potentiel à examiner." in page


def test_not_a_duplicate_needs_a_note_and_is_done_once(client, reviewer, flagged):
    client.force_login(reviewer)
    response = client.post(f"{URL}{flagged.pk}/pas-un-doublon/", {"note": "  "})
    assert response.status_code == 400
    assert "Indiquez un commentaire (au moins 5 caractères)." in text(response)
    flagged.refresh_from_db()
    assert flagged.identity_flags == ["DPOT"]
    assert client.post(f"{URL}{flagged.pk}/pas-un-doublon/", {"note": "Deux personnes."}).status_code == 302
    again = client.post(f"{URL}{flagged.pk}/pas-un-doublon/", {"note": "Deux personnes."})
    assert again.status_code == 400 and "déjà été traité" in text(again)
    assert client.post(f"{URL}999999/pas-un-doublon/", {"note": "Deux personnes."}).status_code == 404


def test_merge_into_the_candidate(client, reviewer, flagged, existing, hospital):
    client.force_login(reviewer)
    response = client.post(f"{URL}{flagged.pk}/fusionner/", {
        "candidate": existing.pk, "keep": "candidate", "reason": "Même personne : pièce d'identité vérifiée."})
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.merged_into_id == existing.pk
    assert set(flagged.identity_flags) == {"DOUA", "DESA"}
    assert PatientIdentifier.objects.get(system=hospital.oid, value="IPP-555").patient_id == existing.pk
    merge = PatientMerge.objects.get()
    assert merge.reason == "Même personne : pièce d'identité vérifiée." and merge.actor_label == str(reviewer)
    assert AuditEvent.objects.filter(action="patient.merge", actor_id=reviewer.pk).count() == 2
    assert "Aucun doublon potentiel à examiner." in text(client.get(URL))


def test_merge_keeping_the_flagged_record_moves_the_candidate_and_clears_the_flag(client, reviewer, flagged,
                                                                                  existing):
    registration = Registration.objects.get(patient=existing)
    client.force_login(reviewer)
    response = client.post(f"{URL}{flagged.pk}/fusionner/", {
        "candidate": existing.pk, "keep": "flagged", "reason": "Dossier de l'établissement conservé."})
    assert response.status_code == 302
    existing.refresh_from_db()
    flagged.refresh_from_db()
    assert existing.merged_into_id == flagged.pk
    assert Registration.objects.get(pk=registration.pk).patient_id == flagged.pk
    assert flagged.identity_flags == []  # no candidate left to review
    assert AuditEvent.objects.filter(action="patient.update", patient_id=flagged.pk,
                                     details__identity_vigilance="merged").exists()


def test_flag_stays_while_other_candidates_remain(client, reviewer, flagged, existing):
    other = f.PatientFactory(birth_name="Garnier", birth_given_names="Colette", first_birth_given_name="Colette",
                             birth_date=BIRTH, sex="F")
    client.force_login(reviewer)
    client.post(f"{URL}{flagged.pk}/fusionner/", {"candidate": existing.pk, "keep": "flagged",
                                                  "reason": "Même personne, vérifiée."})
    flagged.refresh_from_db()
    assert flagged.identity_flags == ["DPOT"]
    entry = get(client, reviewer).context["worklist"].entries[0]
    assert [c.patient.pk for c in entry.candidates] == [other.pk]  # the absorbed record is no longer offered


def test_merge_refused_shows_the_reason_and_changes_nothing(client, reviewer, hl7, hospital):
    known = f.PatientFactory(birth_name="Roussel", birth_given_names="Marc", first_birth_given_name="Marc",
                             birth_date=BIRTH, sex="M", ins_oid=OID_INS_NIR,
                             ins_matricule=samples.nir(sex="M", birth_date=BIRTH))
    newcomer = arrive(hl7, hospital, birth_name="Roussel", birth_given_names="Marc", sex="M",
                      ins_matricule=samples.nir(sex="M", birth_date=BIRTH), ins_oid=OID_INS_NIR)
    assert newcomer.identity_flags == ["DPOT"]
    client.force_login(reviewer)
    # Same name and birth date, different INS: a twin/homonym risk, refused until the identity is checked…
    response = client.post(f"{URL}{newcomer.pk}/fusionner/", {"candidate": known.pk, "keep": "candidate",
                                                               "reason": "Même personne ?"})
    assert response.status_code == 400
    assert "Risque de jumeaux ou d'homonymes" in text(response)
    # … and even then, two INS are never merged.
    response = client.post(f"{URL}{newcomer.pk}/fusionner/", {"candidate": known.pk, "keep": "candidate",
                                                               "reason": "Même personne ?", "twin_checked": "1"})
    assert response.status_code == 400
    assert "Fusion refusée : les deux dossiers portent des INS différents" in text(response)
    newcomer.refresh_from_db()
    assert newcomer.merged_into_id is None and newcomer.identity_flags == ["DPOT"]
    assert not PatientMerge.objects.exists()
    assert not AuditEvent.objects.filter(action="patient.merge").exists()


@pytest.mark.parametrize(("post", "message"), [
    ({"keep": "candidate", "reason": "Même personne.", "candidate": "unrelated"},  # tampered form
     "Ce dossier n'est pas proposé comme doublon du dossier signalé : fusion refusée."),
    ({"keep": "survivor", "reason": "Même personne."}, "Choisissez le dossier à conserver."),
    ({"keep": "candidate", "reason": ""}, "Indiquez un motif (au moins 5 caractères)."),
    ({"keep": "candidate", "reason": "Même personne.", "candidate": "x"},
     "Ce dossier n'est pas proposé comme doublon"),
])
def test_merge_with_bad_input_is_refused(client, reviewer, flagged, existing, post, message):
    unrelated = f.PatientFactory(birth_name="Zidane", birth_date=date(1990, 1, 1))
    candidate = {"unrelated": unrelated.pk, "x": "x"}.get(post.get("candidate"), existing.pk)
    client.force_login(reviewer)
    response = client.post(f"{URL}{flagged.pk}/fusionner/", {**post, "candidate": candidate})
    assert response.status_code == 400
    assert message in text(response)
    assert not PatientMerge.objects.exists()
    flagged.refresh_from_db()
    assert flagged.identity_flags == ["DPOT"]


# --- merged record: banner, search, edit ----------------------------------------------------------------------------


@pytest.fixture
def merged(flagged, existing):
    from oncodcc.patients.merge import merge

    merge(actor=f.UserFactory(role="admin_dsrc"), survivor=existing, absorbed=flagged, reason="Doublon vérifié.")
    flagged.refresh_from_db()
    return flagged


def test_merged_record_shows_a_banner_to_the_survivor(client, merged, existing):
    doctor = f.DoctorFactory()
    for patient in (merged, existing):
        CareTeamMember.objects.create(patient=patient, practitioner=doctor.practitioner)
    # Care team moved with the merge; give the doctor the absorbed record through its creation.
    Patient.objects.filter(pk=merged.pk).update(created_by=doctor)
    page = text(get(client, doctor, f"/patients/{merged.pk}/"))
    assert f'Dossier fusionné dans <a href="/patients/{existing.pk}/">le dossier de {existing.display_name}</a>' in page
    assert "Inscrire en RCP" not in page and "Modifier l'identité" not in page
    edit = client.get(f"/patients/{merged.pk}/modifier/")
    assert edit.status_code == 302 and edit["Location"] == f"/patients/{merged.pk}/"
    assert "Dossier fusionné" not in text(client.get(f"/patients/{existing.pk}/"))


def test_banner_without_link_when_the_survivor_is_out_of_reach(client, merged, existing):
    creator = f.DoctorFactory()
    Patient.objects.filter(pk=merged.pk).update(created_by=creator)
    page = text(get(client, creator, f"/patients/{merged.pk}/"))
    assert f"Dossier fusionné dans un autre dossier (n° {existing.pk})" in page
    assert f'href="/patients/{existing.pk}/"' not in page


def test_denied_merged_record_points_to_the_survivor(client, merged, existing):
    carer = f.DoctorFactory()
    CareTeamMember.objects.create(patient=existing, practitioner=carer.practitioner)
    response = get(client, carer, f"/patients/{merged.pk}/")
    assert response.status_code == 403
    assert f'Dossier fusionné dans <a href="/patients/{existing.pk}/">' in text(response)
    # Someone who may see neither learns nothing.
    assert "fusionné" not in text(get(client, f.DoctorFactory(), f"/patients/{merged.pk}/"))


def test_search_excludes_merged_records(client, merged, existing):
    doctor = f.DoctorFactory()
    CareTeamMember.objects.create(patient=existing, practitioner=doctor.practitioner)
    Patient.objects.filter(pk=merged.pk).update(created_by=doctor)
    client.force_login(doctor)
    results = client.get("/patients/", {"q": "garnier colette"}).context["results"]
    assert results.accessible == [existing]
    restricted = client.get("/patients/", {"q": "garnier", "birth_date": BIRTH.isoformat()}).context["results"]
    assert merged not in restricted.accessible + restricted.restricted
