"""The room's screen (projection): it follows the case the chair opens in meeting mode, shows it in large type
without controls, and reads — and audits — a case once per appearance, not at every poll."""

import pytest
from django.urls import reverse

from oncodcc.audit.models import AuditEvent
from oncodcc.rcp.models import Meeting
from tests import factories as f
from tests.rcp.test_fiche_views import client_for
from tests.rcp.test_meeting_mode import add_cases, case_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_meeting(meeting):
    meeting.status = Meeting.Status.OPEN
    meeting.save(update_fields=["status"])
    return meeting


def screen(meeting):
    return reverse("rcp:meeting_projection", args=[meeting.pk])


def poll(meeting, shown=None):
    return reverse("rcp:meeting_projection_case", args=[meeting.pk]) + f"?cas={shown.pk if shown else ''}"


def projection_events(registration):
    return AuditEvent.objects.filter(action="registration.view", patient_id=registration.patient_id,
                                     details__projection=True).count()


def test_the_screen_follows_the_case_the_chair_opens(open_meeting, coordinator, secretary):
    cases = add_cases(open_meeting, coordinator, 3)
    chair, room = client_for(coordinator), client_for(secretary)
    html = room.get(screen(open_meeting)).content.decode()
    assert "En attente du premier dossier" in html and "<nav" not in html and "<form" not in html

    assert chair.get(case_url(open_meeting, 2)).status_code == 200
    html = room.get(screen(open_meeting)).content.decode()
    assert cases[1].patient.display_name in html and cases[1].question in html and "Dossier 2 / 3" in html
    assert cases[0].patient.display_name not in html

    # Polling while the chair stays on the case: nothing to redraw, nothing read.
    before = projection_events(cases[1])
    assert room.get(poll(open_meeting, cases[1])).status_code == 204
    assert projection_events(cases[1]) == before

    chair.get(case_url(open_meeting, 1))
    fragment = room.get(poll(open_meeting, cases[1]))
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert cases[0].patient.display_name in html and f"cas={cases[0].pk}" in html
    assert projection_events(cases[0]) == 1


def test_a_member_browsing_does_not_move_the_screen_and_a_planned_meeting_projects_nothing(
        meeting, coordinator, member_doctor):
    cases = add_cases(meeting, coordinator, 2)
    client_for(coordinator).get(case_url(meeting, 2))  # the meeting is not open yet
    meeting.refresh_from_db()
    assert meeting.projected_registration_id is None
    meeting.status = Meeting.Status.OPEN
    meeting.save(update_fields=["status"])
    client_for(coordinator).get(case_url(meeting, 2))
    client_for(member_doctor).get(case_url(meeting, 1))  # a member reading ahead does not drive the room
    meeting.refresh_from_db()
    assert meeting.projected_registration_id == cases[1].pk


def test_the_screen_is_for_the_board_only(open_meeting, outsider):
    response = client_for(outsider).get(screen(open_meeting))
    assert response.status_code == 403
    assert client_for(outsider).get(poll(open_meeting)).status_code == 403
    assert client_for(f.UserFactory(role="admin_3c", organisation=open_meeting.board.managing_3c)).get(
        screen(open_meeting)).status_code == 403
