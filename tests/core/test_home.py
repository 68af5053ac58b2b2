import pytest

from oncodcc.audit.models import AuditEvent
from oncodcc.patients.models import CareTeamMember
from oncodcc.rcp.services import registrations
from tests import factories as f


@pytest.mark.django_db
def test_home_lists_my_cases_and_audits_the_list(client, meeting, member_doctor, secretary):
    patient = f.PatientFactory(birth_name="Rousseau")
    patient.created_by = secretary
    patient.save()
    registrations.register(actor=secretary, meeting=meeting, patient=patient,
                           requesting_doctor=member_doctor.practitioner, presenting_doctor=member_doctor.practitioner,
                           question="Traitement adjuvant ?")
    # The doctors see the record through the active registration, not through an added care-team entry.
    assert not CareTeamMember.objects.filter(patient=patient, practitioner=member_doctor.practitioner).exists()
    client.force_login(member_doctor)
    response = client.get("/")
    assert "ROUSSEAU" in response.content.decode()
    event = AuditEvent.objects.get(action="patient.list", actor_id=member_doctor.pk)
    assert event.patient_id == patient.pk and event.details["page"] == "home"


@pytest.mark.django_db
def test_home_never_lists_a_patient_one_cannot_open(client, meeting, outsider):
    registration = f.RegistrationFactory(meeting=meeting, created_by=outsider)
    # Registered by the outsider long ago; the patient is no longer in their scope (no care team, no board).
    client.force_login(outsider)
    page = client.get("/").content.decode()
    assert registration.patient.birth_name.upper() not in page
    assert not AuditEvent.objects.filter(action="patient.list").exists()


@pytest.mark.django_db
def test_each_role_sees_its_own_work(client, meeting, member_doctor):
    dpo = f.UserFactory(role="dpo")
    client.force_login(dpo)
    page = client.get("/").content.decode()
    assert "Protection des données" in page
    assert "Mes prochaines séances" not in page and "Fiches en attente de validation" not in page
    client.force_login(member_doctor)
    page = client.get("/").content.decode()
    assert "Mes prochaines séances" in page and "Dossiers que j'ai inscrits" in page
    assert "Protection des données" not in page
    admin = f.UserFactory(role="admin_3c", organisation=meeting.board.managing_3c, is_staff=True)
    client.force_login(admin)
    page = client.get("/").content.decode()
    assert "Mes prochaines séances" in page and "Dossiers que j'ai inscrits" not in page
