"""Meeting mode: one case at a time, previous/next, the fiche in the centre, attendance on the side."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oncodcc.audit.models import AuditEvent
from oncodcc.rcp.models import Fiche, Meeting
from oncodcc.rcp.services import fiches as services
from tests import factories as f
from tests.rcp.test_fiche_views import client_for, form_data, hold


def add_cases(meeting, user, n: int):
    return [
        f.RegistrationFactory(meeting=meeting, created_by=user, requesting_doctor=user.practitioner,
                              presenting_doctor=user.practitioner, position=i)
        for i in range(1, n + 1)
    ]


def case_url(meeting, position: int) -> str:
    return reverse("rcp:meeting_mode_case", args=[meeting.pk, position])


@pytest.fixture
def cases(meeting, member_doctor):
    return add_cases(meeting, member_doctor, 3)


@pytest.fixture
def client(member_doctor):
    return client_for(member_doctor)


def test_start_redirects_to_the_first_case(client, meeting, cases):
    response = client.get(reverse("rcp:meeting_mode", args=[meeting.pk]))
    assert response.status_code == 302
    assert response["Location"] == case_url(meeting, 1)


def test_navigation_between_cases(client, meeting, cases):
    first = client.get(case_url(meeting, 1))
    html = first.content.decode()
    assert "Dossier 1 / 3" in html
    assert f'href="{case_url(meeting, 2)}" data-nav-next' in html
    assert "data-nav-prev" not in html
    # The patient shown is the first; the case list beside the fiche names every case and marks the current one.
    card = html.split('class="card patient-card"')[1].split("</div></div>")[0]
    assert cases[0].patient.display_name in card and cases[1].patient.display_name not in card
    assert f'href="{case_url(meeting, 1)}" aria-current="true"' in html
    assert all(c.patient.display_name in html for c in cases)

    html = client.get(case_url(meeting, 2)).content.decode()
    assert "Dossier 2 / 3" in html
    assert f'href="{case_url(meeting, 1)}" data-nav-prev' in html
    assert f'href="{case_url(meeting, 3)}" data-nav-next' in html

    html = client.get(case_url(meeting, 3)).content.decode()
    assert "Dossier 3 / 3" in html and "data-nav-next" not in html
    assert client.get(case_url(meeting, 4)).status_code == 404
    # One access event per case shown, naming the patient.
    assert AuditEvent.objects.filter(action="registration.view", patient_id=cases[1].patient_id).count() == 1


def test_withdrawn_cases_are_skipped(client, meeting, cases):
    cases[1].status = "withdrawn"
    cases[1].save()
    html = client.get(case_url(meeting, 2)).content.decode()
    assert "Dossier 2 / 2" in html and cases[2].patient.display_name in html


def test_sidebar_loads_the_attendance_panel_and_planned_meeting_can_be_opened(client, meeting, cases):
    html = client.get(case_url(meeting, 1)).content.decode()
    panel = reverse("rcp:attendance_panel", args=[meeting.pk])
    assert f'class="meeting-mode-sidebar px-2 pb-2" hx-get="{panel}" hx-trigger="load, every 20s"' in html
    assert reverse("rcp:meeting_status", args=[meeting.pk]) in html and "Ouvrir la séance" in html
    assert f'name="next" value="{case_url(meeting, 1)}"' in html
    meeting.status = Meeting.Status.OPEN
    meeting.save()
    assert "Ouvrir la séance" not in client.get(case_url(meeting, 1)).content.decode()


def test_start_the_fiche_then_save_stays_in_meeting_mode(client, meeting, cases):
    html = client.get(case_url(meeting, 2)).content.decode()
    assert "Commencer la fiche" in html
    start = client.post(reverse("rcp:fiche_start", args=[cases[1].pk]), {"next": case_url(meeting, 2)})
    assert start["Location"] == case_url(meeting, 2)
    fiche = Fiche.objects.get(registration=cases[1])

    response = client.get(case_url(meeting, 2))
    html = response.content.decode()
    assert reverse("rcp:fiche_edit", args=[fiche.pk]) in html and "data-guard-unsaved" in html
    assert "Enregistrer" in html and "Valider et signer" in html
    data = form_data(response.context["editor"], case_summary="Discuté en séance.")
    assert f'name="next" value="{case_url(meeting, 2)}"' in html
    data["next"] = case_url(meeting, 2)
    saved = client.post(reverse("rcp:fiche_edit", args=[fiche.pk]), data)
    assert saved.status_code == 302 and saved["Location"] == case_url(meeting, 2)
    fiche.refresh_from_db()
    assert fiche.case_summary == "Discuté en séance."


def test_previous_validated_fiches_and_validated_case(client, meeting, cases, coordinator):
    patient = cases[0].patient
    old_meeting = f.MeetingFactory(board=meeting.board, starts_at=f.past(60))
    old_case = f.RegistrationFactory(meeting=old_meeting, patient=patient, created_by=coordinator,
                                     requesting_doctor=coordinator.practitioner)
    hold(old_meeting)
    old = f.complete_fiche(old_case, created_by=coordinator)
    old = services.validate(actor=coordinator, fiche=old, expected_version=old.lock_version)
    html = client.get(case_url(meeting, 1)).content.decode()
    assert reverse("rcp:fiche_detail", args=[old.pk]) in html
    assert "Radiothérapie" in html  # the proposal summary

    # The current case validated: read-only content and "Corriger".
    hold(meeting, quorum=False)
    current = f.complete_fiche(cases[0], created_by=coordinator, case_status="ORG-128",
                               guideline_name="Référentiel régional")
    services.validate(actor=coordinator, fiche=current, expected_version=current.lock_version)
    html = client.get(case_url(meeting, 1)).content.decode()
    assert "Proposition de la RCP" in html and "Corriger" in html
    assert reverse("rcp:fiche_correct", args=[current.pk]) in html


def test_outsider_and_unknown_meeting(meeting, cases, outsider, client):
    assert client_for(outsider).get(case_url(meeting, 1)).status_code == 403
    assert client.get(case_url(meeting, 1).replace(f"/{meeting.pk}/", "/999999/")).status_code == 404


def test_meeting_without_cases(client, board):
    empty = f.MeetingFactory(board=board)
    response = client.get(case_url(empty, 1))
    assert response.status_code == 200
    assert "Aucun dossier inscrit" in response.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_number_of_cases(client, meeting, member_doctor,
                                                              django_assert_max_num_queries):
    regs = add_cases(meeting, member_doctor, 3)
    for reg in regs:
        services.start(actor=member_doctor, registration=reg)
    # The case list beside the fiche costs a constant 6: one read, and one audit insert for the patients listed.
    with django_assert_max_num_queries(36):
        assert client.get(case_url(meeting, 2)).status_code == 200
    small = _queries(client, case_url(meeting, 2))
    more = add_cases(meeting, member_doctor, 7)
    for reg in more:
        services.start(actor=member_doctor, registration=reg)
    with django_assert_max_num_queries(36):
        assert client.get(case_url(meeting, 2)).status_code == 200
    assert _queries(client, case_url(meeting, 2)) == small
