"""The PPS screens: create from a validated fiche, edit with formsets, 409 on concurrent edit, validate, read
(audited), hand-over, new version with a reason, access."""

import pytest
from django.urls import reverse
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.careplans import services
from oncodcc.careplans.models import CarePlan
from oncodcc.careplans.services import CarePlanInput
from tests import factories as f


@pytest.fixture
def fiche(held_meeting, registration, member_doctor):
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    return f.mark_validated(fiche, by=member_doctor)


@pytest.fixture
def plan(fiche, member_doctor):
    return services.create_from_fiche(actor=member_doctor, fiche=fiche, referring_doctor=member_doctor.practitioner)


def form_data(plan: CarePlan, **overrides) -> dict:
    """What the edit form posts for the plan as saved (management forms included)."""
    plan.refresh_from_db()
    data = {
        "lock_version": str(plan.lock_version),
        "referring_doctor": str(plan.referring_doctor_id or ""),
        "rcp_date": plan.rcp_date.isoformat() if plan.rcp_date else "",
        "comment": plan.comment, "follow_up_text": plan.follow_up_text,
        "treatments-TOTAL_FORMS": str(plan.treatments.count()), "treatments-INITIAL_FORMS": "0",
        "contacts-TOTAL_FORMS": str(plan.contacts.count()), "contacts-INITIAL_FORMS": "0",
        "action": "save",
    }
    for i, t in enumerate(plan.treatments.all()):
        data.update({f"treatments-{i}-code": t.code, f"treatments-{i}-comment": t.comment,
                     f"treatments-{i}-rhythm": t.rhythm})
    for i, c in enumerate(plan.contacts.all()):
        data.update({f"contacts-{i}-role": c.role, f"contacts-{i}-name": c.name, f"contacts-{i}-phone": c.phone,
                     f"contacts-{i}-email": c.email,
                     f"contacts-{i}-practitioner": str(c.practitioner_id or ""),
                     f"contacts-{i}-organisation": str(c.organisation_id or "")})
    data.update(overrides)
    return data


def test_create_from_validated_fiche(client, fiche, member_doctor):
    client.force_login(member_doctor)
    page = client.get(reverse("rcp:fiche_detail", args=[fiche.pk]))
    assert "Créer le PPS" in page.content.decode()
    response = client.post(reverse("careplans:create_from_fiche", args=[fiche.pk]))
    plan = CarePlan.objects.get(fiche=fiche)
    assert response.status_code == 302 and response.url == reverse("careplans:edit", args=[plan.pk])
    assert plan.referring_doctor == member_doctor.practitioner
    edit = client.get(response.url)
    assert edit.status_code == 200
    body = edit.content.decode()
    assert 'id="treatments-empty-form"' in body and 'data-formset-add="contacts"' in body
    assert "Voir le PPS" in client.get(reverse("rcp:fiche_detail", args=[fiche.pk])).content.decode()


def test_create_refuses_a_draft_fiche(client, registration, member_doctor):
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    client.force_login(member_doctor)
    response = client.post(reverse("careplans:create_from_fiche", args=[fiche.pk]), follow=True)
    assert "fiche RCP validée" in response.content.decode()
    assert not CarePlan.objects.exists()


def test_edit_and_save(client, plan, member_doctor):
    client.force_login(member_doctor)
    n = plan.treatments.count()
    data = form_data(plan, comment="Consultation d'annonce faite", supportive_care=["ORG-035"], **{
        "treatments-TOTAL_FORMS": str(n + 1), f"treatments-{n}-code": "C15313",
        f"treatments-{n}-start_date": "2026-11-02", f"treatments-{n}-rhythm": "5 séances par semaine",
        f"treatments-{n}-at_home": "on"})
    response = client.post(reverse("careplans:edit", args=[plan.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    plan.refresh_from_db()
    assert plan.comment == "Consultation d'annonce faite" and plan.supportive_care == ["ORG-035"]
    last = list(plan.treatments.all())[-1]
    assert (last.code, last.rhythm, last.at_home) == ("C15313", "5 séances par semaine", True)
    # Deleting a row
    data = form_data(plan, **{f"treatments-{n}-DELETE": "on"})
    assert client.post(reverse("careplans:edit", args=[plan.pk]), data).status_code == 302
    assert plan.treatments.count() == n


def test_service_errors_on_rows(client, plan, member_doctor):
    client.force_login(member_doctor)
    data = form_data(plan, **{"treatments-TOTAL_FORMS": "1", "treatments-0-code": "C15313",
                              "treatments-0-start_date": "2026-12-01", "treatments-0-end_date": "2026-11-01",
                              "contacts-0-practitioner": "999999"})
    response = client.post(reverse("careplans:edit", args=[plan.pk]), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "La fin prévue précède le début." in body and 'id="id_treatments-0-end_date-errors"' in body
    # Without the inverted dates, the forged directory link is dropped and the row saved.
    data["treatments-0-end_date"] = ""
    assert client.post(reverse("careplans:edit", args=[plan.pk]), data).status_code == 302
    assert plan.contacts.first().practitioner_id is None


def test_concurrent_edit_is_409_and_keeps_typed_text(client, plan, member_doctor, coordinator):
    client.force_login(member_doctor)
    stale = form_data(plan, comment="Ma saisie à conserver")
    services.update(actor=coordinator, plan=plan, expected_version=plan.lock_version,
                    data=CarePlanInput(fields={"comment": "Saisie de la coordination"}))
    response = client.post(reverse("careplans:edit", args=[plan.pk]), stale)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Ce PPS a été modifié par quelqu" in body and "Ma saisie à conserver" in body
    plan.refresh_from_db()
    assert plan.comment == "Saisie de la coordination"
    assert f'name="lock_version" value="{plan.lock_version}"' in body


def test_validate_shows_errors_then_succeeds(client, plan, member_doctor):
    client.force_login(member_doctor)
    url = reverse("careplans:edit", args=[plan.pk])
    data = form_data(plan, referring_doctor="", action="validate", **{"treatments-TOTAL_FORMS": "0"})
    response = client.post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Indiquez le médecin référent." in body and "programme thérapeutique est vide" in body
    plan.refresh_from_db()
    assert plan.status == CarePlan.Status.DRAFT
    data = form_data(plan, action="validate", referring_doctor=str(member_doctor.practitioner_id), **{
        "treatments-TOTAL_FORMS": "1", "treatments-0-code": "C15313"})
    response = client.post(url, data)
    assert response.status_code == 302 and response.url == reverse("careplans:detail", args=[plan.pk])
    plan.refresh_from_db()
    assert plan.status == CarePlan.Status.VALIDATED
    # A validated plan is not edited any more.
    assert client.get(url).status_code == 302


def test_read_view_is_audited_hand_over_and_new_version(client, plan, member_doctor):
    plan = services.validate(actor=member_doctor, plan=plan)
    client.force_login(member_doctor)
    url = reverse("careplans:detail", args=[plan.pk])
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Programme thérapeutique" in body and "Contacts utiles" in body and "Version 1" in body
    assert AuditEvent.objects.filter(action=Action.CAREPLAN_VIEW, patient_id=plan.patient_id).count() == 1

    # Hand-over: a date before the RCP is refused with the French message, then today is accepted.
    hand_over = reverse("careplans:hand_over", args=[plan.pk])
    bad = client.post(hand_over, {"handed_over_at": "2000-01-01",
                                  "handed_over_by": member_doctor.practitioner_id})
    assert bad.status_code == 400 and "précéder la date de la RCP" in bad.content.decode()
    ok = client.post(hand_over, {"handed_over_at": timezone.localdate().isoformat(),
                                 "handed_over_by": member_doctor.practitioner_id})
    assert ok.status_code == 302
    plan.refresh_from_db()
    assert plan.handed_over_at == timezone.localdate() and plan.handed_over_by == member_doctor.practitioner
    assert "Remise au patient" in client.get(url).content.decode()

    # New version: the reason is required, then the draft v2 opens in the form.
    new_version = reverse("careplans:new_version", args=[plan.pk])
    assert client.post(new_version, {"reason_code": ""}).status_code == 400
    response = client.post(new_version, {"reason_code": "MED-560", "reason_text": "Ajout d'une chimiothérapie"})
    v2 = CarePlan.objects.get(set_id=plan.set_id, version_number=2)
    assert response.status_code == 302 and response.url == reverse("careplans:edit", args=[v2.pk])
    assert v2.update_reason == "MED-560" and v2.update_reason_text == "Ajout d'une chimiothérapie"
    assert client.get(response.url).status_code == 200
    # A second update of the same version is refused with the service's message.
    again = client.post(new_version, {"reason_code": "GEN-176"}, follow=True)
    assert again.status_code == 200 and "déjà en cours" in again.content.decode()
    assert CarePlan.objects.filter(set_id=plan.set_id).count() == 2


def test_patient_page_lists_the_plans(client, plan, member_doctor):
    client.force_login(member_doctor)
    body = client.get(reverse("patients:detail", args=[plan.patient_id])).content.decode()
    assert "Programmes personnalisés de soins" in body and reverse("careplans:detail", args=[plan.pk]) in body


def test_access(client, plan, fiche, outsider, member_doctor):
    assert client.get(reverse("careplans:detail", args=[plan.pk])).status_code == 302  # login first
    client.force_login(outsider)
    assert client.get(reverse("careplans:detail", args=[plan.pk])).status_code == 403
    assert client.get(reverse("careplans:edit", args=[plan.pk])).status_code == 403
    assert client.post(reverse("careplans:edit", args=[plan.pk]), form_data(plan)).status_code == 403
    assert client.post(reverse("careplans:create_from_fiche", args=[fiche.pk])).status_code == 403
    assert client.post(reverse("careplans:hand_over", args=[plan.pk]), {}).status_code == 403
    assert client.post(reverse("careplans:new_version", args=[plan.pk]), {}).status_code == 403
    assert not AuditEvent.objects.filter(action=Action.CAREPLAN_VIEW).exists()
    client.force_login(member_doctor)
    assert client.get(reverse("careplans:detail", args=[plan.pk + 999])).status_code == 404
    assert client.get(reverse("careplans:edit", args=[plan.pk + 999])).status_code == 404
    assert client.post(reverse("careplans:create_from_fiche", args=[fiche.pk + 999])).status_code == 404
    # A tampered form is refused, never a server error.
    bad = client.post(reverse("careplans:edit", args=[plan.pk]), form_data(plan, lock_version="x"))
    assert bad.status_code == 400
    bad = client.post(reverse("careplans:edit", args=[plan.pk]), {"lock_version": "0"})
    assert bad.status_code == 400
