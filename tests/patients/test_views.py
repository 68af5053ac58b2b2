"""Patient screens over HTTP: creation (with the duplicate step), record, identity edit, care team,
access history and break-the-glass."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from oncodcc.audit.models import AuditEvent, BreakGlassAccess
from oncodcc.directory.choices import GENERAL_PRACTICE
from oncodcc.patients.models import OID_INS_NIR, CareTeamMember, Patient, PatientIdentifier
from oncodcc.rcp.models import Fiche, Registration
from tests import factories as f

pytestmark = pytest.mark.django_db

ANS_TEST_INS = "279035121518989"
CREATE = "/patients/nouveau/"


def form_data(**overrides) -> dict:
    values = {
        "birth_name": "Lefèvre", "birth_given_names": "Éloïse Marie", "first_birth_given_name": "",
        "birth_date": "1979-03-12", "sex": "F", "birthplace_insee": "51215", "used_name": "", "used_given_name": "",
        "ins_matricule": "", "ins_oid": OID_INS_NIR, "identity_status": "PROV", "gp": "", "ipp": "",
        "ipp_organisation": "",
    }
    values.update(overrides)
    return values


def assert_csp_clean(html: str) -> None:
    assert "style=" not in html
    assert "onclick=" not in html.lower()
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag, tag


# --- creation -------------------------------------------------------------------------------------------------------


def test_create_form_renders_with_labels(client):
    user = f.UserFactory(role="secretary")
    client.force_login(user)
    response = client.get(CREATE)
    assert response.status_code == 200
    html = response.content.decode()
    assert_csp_clean(html)
    for name in ("birth_name", "birth_given_names", "first_birth_given_name", "birth_date", "sex",
                 "birthplace_insee", "used_name", "used_given_name", "ins_matricule", "ins_oid",
                 "identity_status", "gp", "ipp", "ipp_organisation"):
        assert f'<label class="form-label" for="id_{name}">' in html, name
    assert 'type="date"' in html
    assert "1.2.250.1.213.1.4.8" in html and "1.2.250.1.213.1.4.9" in html


def test_ins_test_oids_only_in_demo_mode(client, settings):
    client.force_login(f.UserFactory(role="secretary"))
    settings.DEMO_MODE = False
    assert "1.2.250.1.213.1.4.10" not in client.get(CREATE).content.decode()
    settings.DEMO_MODE = True
    html = client.get(CREATE).content.decode()
    assert "1.2.250.1.213.1.4.10" in html and "1.2.250.1.213.1.4.11" in html


def test_create_happy_path(client):
    doctor = f.DoctorFactory()
    hospital = f.OrganisationFactory()
    gp = f.PractitionerFactory(specialty=GENERAL_PRACTICE[-1])
    client.force_login(doctor)
    response = client.post(CREATE, form_data(
        ins_matricule="2 79 03 51 215 189 89", identity_status="VALI", ipp="IPP-001",
        ipp_organisation=hospital.pk, gp=gp.pk, used_name="Martin",
    ))
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"
    assert patient.first_birth_given_name == "Éloïse"
    assert patient.ins_matricule == ANS_TEST_INS and patient.ins_oid == OID_INS_NIR
    assert patient.gp == gp and patient.created_by == doctor
    assert PatientIdentifier.objects.get(patient=patient).value == "IPP-001"
    assert CareTeamMember.objects.filter(patient=patient, practitioner=doctor.practitioner).exists()
    assert AuditEvent.objects.filter(action="patient.create", patient_id=patient.pk).count() == 1
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "a été créé" in page.content.decode()


def test_create_then_go_on_to_register_for_a_meeting(client, meeting):
    client.force_login(f.UserFactory(role="secretary"))
    response = client.post(f"{CREATE}?next_meeting={meeting.pk}", form_data())
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/rcp/inscriptions/nouvelle/?patient={patient.pk}&meeting={meeting.pk}"


def test_create_keeps_next_meeting_in_the_form_action(client):
    client.force_login(f.UserFactory(role="secretary"))
    html = client.get(f"{CREATE}?next_meeting=12").content.decode()
    assert 'action="/patients/nouveau/?next_meeting=12"' in html


def test_bad_next_meeting_is_ignored(client):
    client.force_login(f.UserFactory(role="secretary"))
    response = client.post(f"{CREATE}?next_meeting=abc", form_data())
    assert response["Location"] == f"/patients/{Patient.objects.get().pk}/"


def test_duplicate_candidates_are_shown_then_creation_confirmed_flags_dpot(client):
    existing = f.PatientFactory(birth_name="LEFEVRE", birth_given_names="Eloise", first_birth_given_name="Eloise",
                                birth_date=date(1979, 3, 12), sex="F", identity_status="VALI")
    doctor = f.DoctorFactory()
    client.force_login(doctor)
    response = client.post(CREATE, form_data())
    assert response.status_code == 200
    assert Patient.objects.count() == 1
    html = response.content.decode()
    assert_csp_clean(html)
    assert "Des patients proches existent déjà" in html
    assert existing.display_name in html and "12/03/1979" in html
    assert "identity-status badge identity-VALI" in html
    assert "Aucun de ces patients : créer quand même" in html
    # The doctor has no access to the existing record: no link to it.
    assert f'href="/patients/{existing.pk}/"' not in html
    # The typed values are kept.
    assert 'value="Lefèvre"' in html

    response = client.post(CREATE, form_data(confirm_not_duplicate="1"))
    created = Patient.objects.exclude(pk=existing.pk).get()
    assert response.status_code == 302
    assert created.identity_flags == ["DPOT"]
    assert created.is_potential_duplicate
    page = client.get(response["Location"]).content.decode()
    assert "doublon potentiel" in page


def test_accessible_candidate_is_linked(client):
    doctor = f.DoctorFactory()
    existing = f.PatientFactory(birth_name="Lefèvre", birth_given_names="Éloïse", first_birth_given_name="Éloïse",
                                birth_date=date(1979, 3, 12), sex="F")
    CareTeamMember.objects.create(patient=existing, practitioner=doctor.practitioner)
    client.force_login(doctor)
    html = client.post(CREATE, form_data()).content.decode()
    assert f'href="/patients/{existing.pk}/"' in html


def test_invalid_ins_key_gives_a_french_field_error_and_creates_nothing(client):
    client.force_login(f.UserFactory(role="secretary"))
    response = client.post(CREATE, form_data(ins_matricule=ANS_TEST_INS[:-2] + "00", identity_status="RECUP"))
    assert response.status_code == 400
    form = response.context["form"]
    assert "Matricule INS invalide" in " ".join(form.errors["ins_matricule"])
    html = response.content.decode()
    assert 'id="id_ins_matricule_error"' in html
    assert "Matricule INS invalide" in html
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.filter(action="patient.create").exists()


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"birth_name": ""}, "birth_name", "obligatoire"),
    ({"birth_date": "31/02/1979"}, "birth_date", "date valide"),
    ({"birth_date": "2999-01-01"}, "birth_date", "futur"),
    ({"sex": "X"}, "sex", "choix valide"),
    ({"ins_matricule": "179035121518942"}, "ins_matricule", "ne correspond pas"),
    ({"identity_status": "QUAL"}, "identity_status", "exige un matricule INS"),
    ({"birth_name": "Le\x07fevre"}, "birth_name", "caractères de contrôle"),
    ({"ipp": "IPP-9"}, "ipp_organisation", "établissement"),
    ({"gp": "999999"}, "gp", "choix valide"),
])
def test_creation_errors_are_on_the_fields(client, overrides, field, message):
    client.force_login(f.UserFactory(role="secretary"))
    response = client.post(CREATE, form_data(**overrides))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Patient.objects.exists()


def test_ipp_already_used_elsewhere_rolls_back_the_creation(client):
    hospital = f.OrganisationFactory()
    other = f.PatientFactory(birth_date=date(1950, 1, 1))
    PatientIdentifier.objects.create(patient=other, system=hospital.oid, value="IPP-1", organisation=hospital)
    client.force_login(f.UserFactory(role="secretary"))
    response = client.post(CREATE, form_data(ipp="IPP-1", ipp_organisation=hospital.pk))
    assert response.status_code == 400
    assert "déjà attribué" in " ".join(response.context["form"].errors["ipp"])
    assert Patient.objects.count() == 1


@pytest.mark.parametrize("role", ["dpo", "admin_3c", "sysadmin"])
def test_create_is_forbidden_to_non_writers(client, role):
    client.force_login(f.UserFactory(role=role))
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, form_data()).status_code == 403
    assert not Patient.objects.exists()


# --- the record ---------------------------------------------------------------------------------------------------


def test_record_shows_identity_identifiers_care_team_and_actions(client, patient, member_doctor):
    hospital = f.OrganisationFactory(name="CH de Démo")
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP-42", organisation=hospital)
    patient.ins_matricule, patient.ins_oid = ANS_TEST_INS, OID_INS_NIR
    patient.gp = f.PractitionerFactory(last_name="Généraliste")
    patient.identity_flags = ["DPOT"]
    patient.save()
    CareTeamMember.objects.create(patient=patient, practitioner=member_doctor.practitioner)
    client.force_login(member_doctor)
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert_csp_clean(html)
    for text in (patient.display_name, patient.birth_name, ANS_TEST_INS, "INS-NIR", "IPP-42", "CH de Démo",
                 "GÉNÉRALISTE", str(member_doctor.practitioner), "doublon potentiel", "Identité provisoire",
                 "Inscrire en RCP", "Modifier l'identité", "Qui a consulté ce dossier"):
        assert text in html, text
    assert f'href="/rcp/inscriptions/nouvelle/?patient={patient.pk}"' in html
    assert f'action="/patients/{patient.pk}/equipe/"' in html
    assert AuditEvent.objects.filter(action="patient.view", patient_id=patient.pk, actor_id=member_doctor.pk).count() == 1


def test_record_of_a_board_secretary_has_no_history_button(client, patient, secretary):
    client.force_login(secretary)
    html = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Qui a consulté ce dossier" not in html
    assert "Modifier l'identité" in html


def test_record_timeline(client, patient, registration, member_doctor):
    fiche_v1 = f.complete_fiche(registration, created_by=member_doctor, status=Fiche.Status.SUPERSEDED,
                                validated_at=timezone.now() - timedelta(days=2), signer_name="Dr Alice SIGNE")
    f.complete_fiche(registration, created_by=member_doctor, status=Fiche.Status.VALIDATED,
                     set_id=fiche_v1.set_id, version_number=2, validated_at=timezone.now(),
                     signer_name="Dr Bob CORRIGE")
    client.force_login(member_doctor)
    html = client.get(f"/patients/{patient.pk}/").content.decode()
    assert registration.meeting.board.name in html
    assert registration.question in html
    assert f'href="/rcp/inscriptions/{registration.pk}/"' in html
    assert "version 1" in html and "version 2" in html
    assert "Dr Bob CORRIGE" in html and "Dr Alice SIGNE" in html
    assert html.index("version 2") < html.index("version 1")
    assert "inscrit" in html


def test_record_is_refused_to_an_outsider_with_a_break_glass_link(client, patient, outsider):
    # A name no Faker user can carry: the leak check below must not match the signed-in user's own name.
    patient.birth_name = "Zéphyrinovska"
    patient.save()
    client.force_login(outsider)
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Accès refusé" in html
    assert f'href="/patients/{patient.pk}/bris-de-glace/"' in html
    # Nothing about the patient leaks on the refusal page.
    assert patient.birth_name.upper() not in html and patient.birth_name not in html
    assert AuditEvent.objects.filter(action="patient.access_denied", patient_id=patient.pk).exists()


def test_no_break_glass_link_for_roles_without_it(client, patient):
    client.force_login(f.UserFactory(role="admin_3c"))
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 403
    assert "bris-de-glace" not in response.content.decode()


def test_break_the_glass_then_history_shows_the_reason(client, patient, outsider, member_doctor):
    client.force_login(outsider)
    page = client.get(f"/patients/{patient.pk}/bris-de-glace/")
    assert page.status_code == 200
    html = page.content.decode()
    assert_csp_clean(html)
    assert "Accès exceptionnel, tracé et contrôlé par le DPO" in html
    assert '<label class="form-label" for="id_reason">' in html

    short = client.post(f"/patients/{patient.pk}/bris-de-glace/", {"reason": "urgence"})
    assert short.status_code == 400
    assert "au moins 15 caractères" in " ".join(short.context["form"].errors["reason"])
    assert not BreakGlassAccess.objects.exists()
    assert client.get(f"/patients/{patient.pk}/").status_code == 403

    reason = "Patient vu aux urgences cette nuit, avis oncologique demandé"
    response = client.post(f"/patients/{patient.pk}/bris-de-glace/", {"reason": reason})
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"
    record = client.get(response["Location"])
    assert record.status_code == 200
    assert "tracé et contrôlé par le DPO" in record.content.decode()

    dpo = f.UserFactory(role="dpo")
    client.force_login(dpo)
    history = client.get(f"/patients/{patient.pk}/acces/")
    assert history.status_code == 200
    html = history.content.decode()
    assert reason in html
    assert "Accès en bris de glace" in html
    assert str(outsider) in html
    assert "Médecin" in html
    assert "Consultation du dossier" in html and "Accès refusé" in html


def test_break_glass_refused_to_roles_without_it(client, patient):
    client.force_login(f.UserFactory(role="dpo"))
    assert client.get(f"/patients/{patient.pk}/bris-de-glace/").status_code == 403
    response = client.post(f"/patients/{patient.pk}/bris-de-glace/", {"reason": "Je veux voir ce dossier svp"})
    assert response.status_code == 403
    assert not BreakGlassAccess.objects.exists()


# --- access history -------------------------------------------------------------------------------------------------


def test_access_history_for_the_dpo(client, patient):
    dpo = f.UserFactory(role="dpo", first_name="Déborah", last_name="Pro")
    client.force_login(dpo)
    response = client.get(f"/patients/{patient.pk}/acces/")
    assert response.status_code == 200
    html = response.content.decode()
    assert_csp_clean(html)
    assert patient.display_name in html
    assert patient.birth_date.strftime("%d/%m/%Y") in html
    # Only the header: no clinical data, no identifiers.
    assert "Parcours en RCP" not in html
    assert f'href="/patients/{patient.pk}/"' not in html
    # Reading the history is itself audited.
    assert AuditEvent.objects.filter(action="patient.access_history.view", actor_id=dpo.pk).count() == 1
    assert not AuditEvent.objects.filter(action="patient.view", actor_id=dpo.pk).exists()


def test_access_history_for_the_care_team(client, patient):
    carer = f.DoctorFactory()
    CareTeamMember.objects.create(patient=patient, practitioner=carer.practitioner)
    client.force_login(carer)
    client.get(f"/patients/{patient.pk}/")
    response = client.get(f"/patients/{patient.pk}/acces/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Consultation du dossier" in html
    assert "127.0.0.1" in html
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", html)


def test_access_history_is_refused_to_a_board_secretary(client, patient, secretary):
    client.force_login(secretary)
    assert client.get(f"/patients/{patient.pk}/").status_code == 200
    response = client.get(f"/patients/{patient.pk}/acces/")
    assert response.status_code == 403
    assert patient.display_name not in response.content.decode()


def test_break_glass_log_is_for_the_dpo(client, patient, outsider):
    grant = BreakGlassAccess.objects.create(user=outsider, patient=patient, expires_at=timezone.now() + timedelta(hours=2),
                                            reason="Patient hospitalisé en urgence la nuit")
    client.force_login(outsider)
    assert client.get("/patients/bris-de-glace/").status_code == 403
    client.force_login(f.UserFactory(role="dpo"))
    response = client.get("/patients/bris-de-glace/")
    assert response.status_code == 200
    html = response.content.decode()
    assert_csp_clean(html)
    assert grant.reason in html and str(outsider) in html and patient.display_name in html
    assert f'href="/patients/{patient.pk}/acces/"' in html
    assert "en cours" in html


# --- identity edit --------------------------------------------------------------------------------------------------


def test_edit_identity(client, patient, member_doctor):
    client.force_login(member_doctor)
    page = client.get(f"/patients/{patient.pk}/modifier/")
    assert page.status_code == 200
    html = page.content.decode()
    assert_csp_clean(html)
    assert f'value="{patient.birth_name}"' in html
    assert "ipp_organisation" not in html
    data = form_data(birth_name=patient.birth_name, birth_given_names=patient.birth_given_names,
                     first_birth_given_name=patient.first_birth_given_name,
                     birth_date=patient.birth_date.isoformat(), sex=patient.sex, used_name="Dupont-Nouveau")
    response = client.post(f"/patients/{patient.pk}/modifier/", data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.used_name == "Dupont-Nouveau"
    assert AuditEvent.objects.filter(action="patient.update", patient_id=patient.pk).count() == 1


def test_strict_traits_of_a_qualified_identity_are_refused_on_the_field(client, patient, member_doctor):
    patient.ins_matricule, patient.ins_oid, patient.identity_status = ANS_TEST_INS, OID_INS_NIR, "QUAL"
    patient.birth_date = date(1979, 3, 12)
    patient.save()
    client.force_login(member_doctor)
    data = form_data(birth_name="Autre-Nom", birth_given_names=patient.birth_given_names,
                     first_birth_given_name=patient.first_birth_given_name, birth_date="1979-03-12",
                     sex="F", ins_matricule=ANS_TEST_INS, identity_status="QUAL")
    response = client.post(f"/patients/{patient.pk}/modifier/", data)
    assert response.status_code == 400
    assert "INSi" in " ".join(response.context["form"].errors["birth_name"])
    patient.refresh_from_db()
    assert patient.birth_name != "Autre-Nom"


def test_edit_is_refused_without_access_or_without_a_writer_role(client, patient, outsider, board):
    client.force_login(outsider)
    assert client.get(f"/patients/{patient.pk}/modifier/").status_code == 403
    # A 3C administrator organises the board, never reads its patients' records (issue 9).
    admin = f.UserFactory(role="admin_3c", organisation=board.managing_3c)
    client.force_login(admin)
    assert client.get(f"/patients/{patient.pk}/").status_code == 403
    assert client.get(f"/patients/{patient.pk}/modifier/").status_code == 403
    assert client.post(f"/patients/{patient.pk}/modifier/", form_data()).status_code == 403


# --- care team ------------------------------------------------------------------------------------------------------


def test_add_to_care_team(client, patient, member_doctor):
    colleague = f.PractitionerFactory()
    client.force_login(member_doctor)
    response = client.post(f"/patients/{patient.pk}/equipe/", {"practitioner": colleague.pk, "role": "specialist"})
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.pk}/"
    assert CareTeamMember.objects.filter(patient=patient, practitioner=colleague).exists()
    html = client.get(response["Location"]).content.decode()
    assert "fait partie de l&#x27;équipe de soins" in html


def test_add_to_care_team_bad_input_and_refusals(client, patient, member_doctor, outsider):
    client.force_login(member_doctor)
    response = client.post(f"/patients/{patient.pk}/equipe/", {"practitioner": "999999", "role": "specialist"})
    assert response.status_code == 302
    assert not CareTeamMember.objects.filter(patient=patient).exists()
    assert client.post(f"/patients/{patient.pk}/equipe/", {"practitioner": "x", "role": "boss"}).status_code == 302
    assert client.get(f"/patients/{patient.pk}/equipe/").status_code == 405
    client.force_login(outsider)
    response = client.post(f"/patients/{patient.pk}/equipe/",
                           {"practitioner": outsider.practitioner.pk, "role": "referring"})
    assert response.status_code == 403
    assert not CareTeamMember.objects.filter(patient=patient).exists()


# --- robustness -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/patients/999999/", "/patients/999999/modifier/", "/patients/999999/acces/",
                                  "/patients/999999/bris-de-glace/"])
def test_unknown_patient_is_404(client, path):
    client.force_login(f.DoctorFactory())
    assert client.get(path).status_code == 404
    assert client.post("/patients/999999/equipe/", {"practitioner": "1", "role": "gp"}).status_code == 404


# --- query count ----------------------------------------------------------------------------------------------------


def _add_history(patient, board, user, count: int, start: int) -> None:
    for i in range(start, start + count):
        meeting = f.MeetingFactory(board=board, starts_at=timezone.now() - timedelta(days=100 - i))
        registration = f.RegistrationFactory(patient=patient, meeting=meeting, created_by=user)
        if i % 2:
            registration.status = Registration.Status.WITHDRAWN
            registration.save()
        f.complete_fiche(registration, created_by=user, status=Fiche.Status.VALIDATED,
                         validated_at=meeting.starts_at + timedelta(hours=2), signer_name=f"Dr Signataire {i}")


def test_record_page_query_count_is_bounded(client, django_assert_max_num_queries, board, member_doctor):
    patient = f.PatientFactory()
    CareTeamMember.objects.create(patient=patient, practitioner=member_doctor.practitioner)
    CareTeamMember.objects.create(patient=patient, practitioner=f.PractitionerFactory())
    hospital = f.OrganisationFactory()
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP-Q", organisation=hospital)
    _add_history(patient, board, member_doctor, 5, 0)
    client.force_login(member_doctor)
    url = f"/patients/{patient.pk}/"
    bound = 23  # session, user, patient + identifiers, access checks, audit event, care team, timeline (2), forms
    # (the care-team picker's practitioners and their organisations: one query each)
    with django_assert_max_num_queries(bound) as first:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["timeline"]) == 10

    _add_history(patient, board, member_doctor, 5, 5)
    CareTeamMember.objects.create(patient=patient, practitioner=f.PractitionerFactory())
    with django_assert_max_num_queries(bound) as second:
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["timeline"]) == 20
    # Twice the history, not one query more.
    assert len(second.captured_queries) == len(first.captured_queries)


def test_the_gp_is_chosen_among_general_practitioners(client):
    doctor = f.DoctorFactory()
    gp = f.PractitionerFactory(specialty=GENERAL_PRACTICE[0], last_name="Généraliste")
    pathologist = f.PractitionerFactory(specialty="G15_10/SM01", last_name="Pathologiste")
    client.force_login(doctor)
    html = client.get(CREATE).content.decode()
    assert "GÉNÉRALISTE" in html and "PATHOLOGISTE" not in html
    assert 'data-picker' in html and "tom-select.complete.min.js" in html
    data = {"birth_name": "Durand", "birth_given_names": "Alice", "first_birth_given_name": "Alice",
            "birth_date": "1960-02-03", "sex": "F", "identity_status": "PROV", "gp": pathologist.pk}
    response = client.post(CREATE, data)
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Patient.objects.exists() and gp.pk != pathologist.pk
