"""/api/v1/fiches/{id}: GET, PUT with optimistic locking (409), and the refusals (400, 401, 403, 404, 422)."""

import json

import pytest
from django.test import Client

from oncodcc.audit.models import AuditEvent
from oncodcc.rcp.services import fiches as services
from oncodcc.terminology import valuesets as vs
from tests import factories as f


def url(fiche_id) -> str:
    return f"/api/v1/fiches/{fiche_id}"


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def put(client, fiche_id, body):
    return client.put(url(fiche_id), data=json.dumps(body), content_type="application/json")


@pytest.fixture
def fiche(registration, member_doctor):
    return f.complete_fiche(registration, created_by=member_doctor)


@pytest.fixture
def api(member_doctor):
    return client_for(member_doctor)


def test_get_returns_the_fiche_and_is_audited(api, fiche):
    response = api.get(url(fiche.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == fiche.pk and body["status"] == "draft"
    assert body["version_number"] == 1 and body["lock_version"] == 0
    assert body["case_status"] == vs.CASE_DISCUSSED and body["organs"] == ["76752008"]
    assert body["screening"] is True and body["screening_date"] == "2026-09-01"
    assert body["tumours"][0]["topography"] == "C50.4"
    assert body["tumours"][0]["topography_label"] == vs.label(vs.TOPOGRAPHY, "C50.4")
    assert [t["code"] for t in body["treatments"]] == ["C15313", "C547"]
    assert body["further_tests"] == []
    assert AuditEvent.objects.filter(action="fiche.view", patient_id=fiche.patient_id).count() == 1


def test_put_saves_and_returns_the_new_representation(api, fiche):
    body = {"lock_version": 0, "case_summary": "Synthèse revue en séance", "phase": vs.PHASE_RELAPSE,
            "treatments": [{"code": "387713003", "detail": "Mastectomie"},
                           {"code": "C15632", "is_alternative": True}],
            "further_tests": [{"description": "TEP-TDM", "latest": "2026-12-01"}]}
    response = put(api, fiche.pk, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["lock_version"] == 1
    assert data["case_summary"] == "Synthèse revue en séance" and data["phase"] == vs.PHASE_RELAPSE
    assert [(t["code"], t["is_alternative"]) for t in data["treatments"]] == [("387713003", False), ("C15632", True)]
    assert data["further_tests"][0]["latest"] == "2026-12-01"
    # Items left out keep their value (the tumour list included).
    assert data["question"] == "Traitement adjuvant ?" and data["tumours"][0]["morphology"] == "8500/3"
    fiche.refresh_from_db()
    assert fiche.case_summary == "Synthèse revue en séance"
    assert AuditEvent.objects.filter(action="fiche.update", patient_id=fiche.patient_id).count() == 1


def test_put_with_a_stale_version_is_a_409_with_the_changes(api, fiche, secretary):
    assert put(client_for(secretary), fiche.pk, {"lock_version": 0, "case_summary": "Version secrétaire"}).status_code == 200
    response = put(api, fiche.pk, {"lock_version": 0, "case_summary": "Version médecin"})
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "Cette fiche a été modifiée par quelqu'un d'autre pendant votre saisie."
    assert body["current_version"] == 1
    assert body["changes"]["case_summary"] == {"yours": "Version médecin", "current": "Version secrétaire"}
    fiche.refresh_from_db()
    assert fiche.case_summary == "Version secrétaire"
    # Sending the current version overwrites knowingly.
    assert put(api, fiche.pk, {"lock_version": 1, "case_summary": "Version médecin"}).status_code == 200


def test_field_errors_are_a_400(api, fiche):
    response = put(api, fiche.pk, {"lock_version": 0, "phase": "XXX",
                                   "tumours": [{"topography": "Z99", "morphology": "8500/3"}]})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["phase"] == ["Code inconnu du jeu de valeurs national."]
    assert "tumours" in errors


def test_validated_fiche_is_not_edited(api, fiche, coordinator):
    meeting = fiche.registration.meeting
    meeting.starts_at = f.past(1)
    meeting.status = "open"
    meeting.save()
    f.give_quorum(meeting)
    services.validate(actor=coordinator, fiche=fiche, expected_version=0)
    response = put(api, fiche.pk, {"lock_version": 1, "comments": "après coup"})
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


@pytest.mark.parametrize("body", [
    {"lock_version": 0, "case_summary": "nul\u0000"},
    {"lock_version": 0, "question": "cloche\u0007"},
    {"lock_version": 0, "tumours": [{"topography": "C50\u0000"}]},
    {"lock_version": -1},
    {"case_summary": "sans version"},
    {"lock_version": 0, "nature": "x" * 500},
    {"lock_version": 0, "screening_date": "32/13/2026"},
])
def test_bad_bodies_are_rejected_at_the_edge(api, fiche, body):
    response = put(api, fiche.pk, body)
    assert response.status_code == 422
    fiche.refresh_from_db()
    assert fiche.lock_version == 0


def test_not_json_is_refused_not_a_500(api, fiche):
    response = api.put(url(fiche.pk), data="{pas du json", content_type="application/json")
    assert response.status_code in (400, 422)


def test_outsider_gets_403(fiche, outsider):
    client = client_for(outsider)
    assert client.get(url(fiche.pk)).status_code == 403
    assert put(client, fiche.pk, {"lock_version": 0, "case_summary": "intrus"}).status_code == 403
    fiche.refresh_from_db()
    assert fiche.case_summary != "intrus"


def test_reader_who_cannot_edit_gets_403_on_put(fiche, board):
    # A 3C administrator who is also a doctor of the board reads the fiche as a doctor, but edits nothing.
    admin_3c = f.DoctorFactory(role="admin_3c", organisation=board.managing_3c)
    f.add_member(board, admin_3c.practitioner)
    client = client_for(admin_3c)
    assert client.get(url(fiche.pk)).status_code == 200
    response = put(client, fiche.pk, {"lock_version": 0, "case_summary": "admin"})
    assert response.status_code == 403
    assert response.json()["detail"]
    # As an administrator only, the fiche does not open at all (issue 9).
    admin_only = client_for(f.UserFactory(role="admin_3c", organisation=board.managing_3c))
    assert admin_only.get(url(fiche.pk)).status_code == 403


def test_unknown_fiche_is_a_404(api):
    assert api.get(url(999999)).status_code == 404
    assert api.get(url(999999)).json() == {"detail": "Fiche RCP inconnue."}
    assert put(api, 999999, {"lock_version": 0}).status_code == 404
    assert api.get(url("99999999999999999999999")).status_code == 404


def test_anonymous_gets_401(fiche):
    response = Client().get(url(fiche.pk))
    assert response.status_code == 401
    assert response.json()["detail"]


def test_csrf_is_checked_on_writes(fiche, member_doctor):
    client = client_for(member_doctor, enforce_csrf_checks=True)
    assert put(client, fiche.pk, {"lock_version": 0, "case_summary": "sans jeton"}).status_code == 403
    fiche.refresh_from_db()
    assert fiche.case_summary != "sans jeton"


def test_openapi_declares_every_status(api):
    schema = api.get("/api/v1/openapi.json").json()
    operations = schema["paths"]["/api/v1/fiches/{fiche_id}"]
    assert set(operations["get"]["responses"]) == {"200", "401", "403", "404"}
    assert set(operations["put"]["responses"]) == {"200", "400", "401", "403", "404", "409", "422"}


def test_docs_page_uses_bundled_assets_behind_the_login(api):
    assert Client().get("/api/v1/docs").status_code == 302  # login first
    response = api.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
