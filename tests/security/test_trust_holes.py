"""Issue 9, holes 1, 2 and 6 as an attacker found them on the demo region, each reproduced then closed:
administrators reading clinical data, the break-the-glass bypass through search and registration, unaudited
reads. (Holes 3–5 and 7–9: tests/interop/*/test_identity_proofs.py, tests/interop/hl7v2/test_mllp_tls.py and
test_mllp_robustness.py, tests/accounts/test_admin_rights.py, tests/audit/test_keyed_chain.py, tests/core/.)"""

from datetime import date

import pytest
from django.urls import reverse

from oncodcc.accounts.models import Role
from oncodcc.audit.models import AuditEvent
from oncodcc.careplans.models import CarePlan
from oncodcc.core.policy import has_permission
from oncodcc.patients.models import CareTeamMember
from oncodcc.rcp.models import Registration
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(board, meeting, member_doctor):
    """A discussed case of the board: registration, validated fiche, PPS."""
    registration = f.RegistrationFactory(meeting=meeting, requesting_doctor=member_doctor.practitioner,
                                         presenting_doctor=member_doctor.practitioner, created_by=member_doctor)
    fiche = f.mark_validated(f.complete_fiche(registration, created_by=member_doctor), by=member_doctor)
    plan = CarePlan.objects.create(patient=registration.patient, fiche=fiche, created_by=member_doctor)
    return registration, fiche, plan


# --- 1. administrators read clinical data -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN_3C, Role.ADMIN_DSRC, Role.SYSADMIN, Role.DPO])
def test_administrators_and_the_dpo_open_no_clinical_screen(client, board, case, role):
    registration, fiche, plan = case
    organisation = board.managing_3c.parent if role == Role.ADMIN_DSRC else board.managing_3c
    user = f.UserFactory(role=role, organisation=organisation, is_staff=role != Role.DPO,
                         is_superuser=role == Role.SYSADMIN)
    client.force_login(user)
    patient = registration.patient
    for url in (f"/patients/{patient.pk}/", f"/rcp/fiches/{fiche.pk}/", f"/rcp/fiches/{fiche.pk}/impression/",
                f"/pps/{plan.pk}/", f"/pps/{plan.pk}/modifier/", f"/rcp/inscriptions/{registration.pk}/",
                f"/api/v1/fiches/{fiche.pk}", f"/rcp/seances/{registration.meeting_id}/mode-rcp/1/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert fiche.case_summary not in response.content.decode(), url
    # The refusals are in the patient's history; nothing was shown.
    assert AuditEvent.objects.filter(actor_id=user.pk, patient_id=patient.pk, action="patient.access_denied").exists()
    assert not AuditEvent.objects.filter(actor_id=user.pk, action__in=["patient.view", "fiche.view"]).exists()


def test_a_3c_administrator_organises_the_meeting_without_seeing_its_cases(client, board, case):
    registration, _, _ = case
    admin = f.UserFactory(role=Role.ADMIN_3C, organisation=board.managing_3c, is_staff=True)
    client.force_login(admin)
    response = client.get(reverse("rcp:meeting_detail", args=[registration.meeting_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="cases-hidden"' in html and "Dossiers inscrits (1)" in html
    assert registration.patient.birth_name.upper() not in html and registration.question not in html
    assert not AuditEvent.objects.filter(actor_id=admin.pk, patient_id=registration.patient_id).exists()


# --- 2. the break-the-glass bypass ---------------------------------------------------------------------------------


@pytest.fixture
def stranger(db):
    return f.PatientFactory(birth_name="Leclerc", first_birth_given_name="Emma", birth_given_names="Emma Rose",
                            birth_date=date(1958, 8, 17), sex="F")


def search(client, q):
    return client.get(reverse("patients:search"), {"q": q}).context["results"]


def test_one_letter_and_a_birth_date_is_no_exact_search(client, outsider, stranger):
    client.force_login(outsider)
    results = search(client, "e 17/08/1958")
    assert results.accessible == [] and results.restricted == []
    assert search(client, "Leclerc 17/08/1958").restricted == [], "a birth name alone is not enough"
    assert search(client, "emma LECLERC 17/08/1958").restricted == [stranger], "exact birth name + first given name"
    # Shown as an exact match: the event names the patient, never the query.
    event = AuditEvent.objects.get(actor_id=outsider.pk, action="patient.search", patient_id=stranger.pk)
    assert event.details == {"restricted": True}


def test_registering_an_unrelated_patient_is_a_break_the_glass_and_ends_with_the_registration(
        client, outsider, stranger, meeting):
    client.force_login(outsider)
    search(client, "Emma Leclerc 17/08/1958")
    url = f"{reverse('rcp:registration_create')}?patient={stranger.pk}"
    form = client.get(url)
    assert form.status_code == 200 and 'name="outside_relations_reason"' in form.content.decode()
    data = {"meeting": meeting.pk, "requesting_doctor": outsider.practitioner_id,
            "presenting_doctor": outsider.practitioner_id, "question": "Avis ?", "case_summary": ""}
    # Without a reason: refused, nothing written.
    response = client.post(url, data)
    assert response.status_code == 200 and "au moins 15 caractères" in response.content.decode()
    assert not Registration.objects.filter(patient=stranger).exists()
    assert not has_permission(outsider, "patient.view_record", stranger)
    # With a reason: registered, the record opens, the DPO sees it like a break-the-glass.
    client.post(url, {**data, "outside_relations_reason": "Patiente adressée en urgence par le SAU, avis demandé"})
    registration = Registration.objects.get(patient=stranger)
    assert has_permission(outsider, "patient.view_record", stranger)
    assert not CareTeamMember.objects.filter(patient=stranger).exists(), "no lasting care-team entry"
    event = AuditEvent.objects.get(action="patient.break_glass", patient_id=stranger.pk)
    assert event.details["via"] == "registration" and event.reason.startswith("Patiente adressée")
    dpo = f.UserFactory(role=Role.DPO)
    client.force_login(dpo)
    log = client.get(reverse("patients:break_glass_log")).content.decode()
    assert "inscription en RCP" in log and "Patiente adressée en urgence" in log
    # Withdrawn: the access ends.
    client.force_login(outsider)
    response = client.post(reverse("rcp:registration_withdraw", args=[registration.pk]),
                           {"reason": "Erreur de patient"})
    assert response.status_code == 302 and response.url == "/"
    assert not has_permission(outsider, "patient.view_record", stranger)
    assert client.get(f"/patients/{stranger.pk}/").status_code == 403


def test_another_hospitals_ipp_opens_nothing(client, outsider, stranger):
    from oncodcc.patients.models import PatientIdentifier

    hospital = f.OrganisationFactory()
    PatientIdentifier.objects.create(patient=stranger, system=hospital.oid, value="IPP-424242", organisation=hospital)
    client.force_login(outsider)
    assert search(client, "IPP-424242").restricted == []


# --- 6. unaudited reads ----------------------------------------------------------------------------------------------


def test_the_pps_form_and_the_registration_form_are_audited(client, case, member_doctor):
    registration, _, plan = case
    plan.status = CarePlan.Status.DRAFT
    plan.save()
    client.force_login(member_doctor)
    assert client.get(f"/pps/{plan.pk}/modifier/").status_code == 200
    assert AuditEvent.objects.filter(action="careplan.view", patient_id=plan.patient_id,
                                     details__purpose="edit_form").exists()
    url = f"{reverse('rcp:registration_create')}?patient={registration.patient_id}"
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(action="patient.view", patient_id=registration.patient_id,
                                     details__purpose="registration_form").exists()


def test_meeting_pages_and_searches_are_in_each_patients_history(client, case, member_doctor, meeting):
    registration, _, _ = case
    other = f.RegistrationFactory(meeting=meeting)
    client.force_login(member_doctor)
    client.get(reverse("rcp:meeting_detail", args=[meeting.pk]))
    for patient_id in (registration.patient_id, other.patient_id):
        assert AuditEvent.objects.filter(action="patient.list", patient_id=patient_id,
                                         object_id=str(meeting.pk)).exists()
    client.force_login(f.UserFactory(role=Role.DPO))
    history = client.get(f"/patients/{registration.patient_id}/acces/")
    assert "Affiché dans une liste de travail" in history.content.decode()


def test_the_dpo_reaches_any_history_from_a_search_of_their_own(client, stranger):
    dpo = f.UserFactory(role=Role.DPO)
    client.force_login(dpo)
    response = client.get(reverse("patients:search"), {"q": "lecl"})
    html = response.content.decode()
    assert f'href="/patients/{stranger.pk}/acces/"' in html
    assert f'href="/patients/{stranger.pk}/"' not in html, "identity only, no record link"
    assert client.get(f"/patients/{stranger.pk}/acces/").status_code == 200
    assert client.get(f"/patients/{stranger.pk}/").status_code == 403
    assert AuditEvent.objects.filter(actor_id=dpo.pk, action="patient.access_history.view",
                                     patient_id=stranger.pk).exists()
