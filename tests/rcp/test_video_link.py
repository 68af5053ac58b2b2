"""The video-conference link: the board's link is every meeting's default, a meeting may have its own; members see
it on the meeting page and in meeting mode."""

import html as htmllib
import importlib
from datetime import datetime, time, timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from oncodcc.rcp.models import PARIS, Meeting
from oncodcc.rcp.services.meetings import create_meeting, generate_meetings
from tests import factories as f

pytestmark = pytest.mark.django_db
BOARD_LINK = "https://visio.example.invalid/rcp-sein"


@pytest.fixture
def linked_board(board):
    board.video_url = BOARD_LINK
    board.save()
    return board


def in_days(days: int) -> datetime:
    return datetime.combine(timezone.localdate(timezone=PARIS) + timedelta(days=days), time(17), tzinfo=PARIS)


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def test_meetings_follow_the_board_link_unless_given_their_own(linked_board, secretary):
    generated = generate_meetings(board=linked_board, until=timezone.localdate() + timedelta(weeks=4))
    ad_hoc = create_meeting(actor=secretary, board=linked_board, starts_at=in_days(3) + timedelta(hours=1))
    own = create_meeting(actor=secretary, board=linked_board, starts_at=in_days(4),
                         video_url="https://visio.example.invalid/extra")
    assert generated and all(m.video_url == "" and m.effective_video_url == BOARD_LINK for m in generated)
    assert ad_hoc.video_url == "" and own.video_url == "https://visio.example.invalid/extra"
    linked_board.video_url = "https://visio.example.invalid/nouveau"
    linked_board.save()
    assert Meeting.objects.get(pk=ad_hoc.pk).effective_video_url == "https://visio.example.invalid/nouveau"
    assert Meeting.objects.get(pk=own.pk).effective_video_url == "https://visio.example.invalid/extra"


def test_the_meeting_form_takes_an_own_link(client, linked_board, secretary):
    client.force_login(secretary)
    day = timezone.localdate(timezone=PARIS) + timedelta(days=9)
    response = client.post(reverse("rcp:meeting_create", args=[linked_board.pk]), {
        "date": day.isoformat(), "time": "18:30", "place": "", "video_url": "visio.example.invalid/extra"})
    meeting = Meeting.objects.get(board=linked_board)
    assert response.status_code == 302 and meeting.video_url == "https://visio.example.invalid/extra"
    bad = client.post(reverse("rcp:meeting_create", args=[linked_board.pk]), {
        "date": (day + timedelta(days=1)).isoformat(), "time": "18:30", "video_url": "pas une adresse"})
    assert bad.status_code == 200 and "Saisissez une URL valide." in text(bad)
    assert Meeting.objects.filter(board=linked_board).count() == 1


def test_members_see_the_link_on_the_meeting_page_and_in_meeting_mode(client, linked_board, member_doctor):
    meeting = f.MeetingFactory(board=linked_board)
    f.RegistrationFactory(meeting=meeting, requesting_doctor=member_doctor.practitioner,
                          presenting_doctor=member_doctor.practitioner, position=1)
    client.force_login(member_doctor)
    detail = text(client.get(reverse("rcp:meeting_detail", args=[meeting.pk])))
    assert f'href="{BOARD_LINK}"' in detail and "(lien habituel de la RCP)" in detail
    mode = text(client.get(reverse("rcp:meeting_mode_case", args=[meeting.pk, 1])))
    assert f'href="{BOARD_LINK}"' in mode and "visioconférence" in mode
    meeting.video_url = "https://visio.example.invalid/extra"
    meeting.save()
    detail = text(client.get(reverse("rcp:meeting_detail", args=[meeting.pk])))
    assert 'href="https://visio.example.invalid/extra"' in detail and "(lien habituel de la RCP)" not in detail


def test_the_migration_clears_links_copied_from_the_board(linked_board):
    copied = f.MeetingFactory(board=linked_board, video_url=BOARD_LINK)
    own = f.MeetingFactory(board=linked_board, starts_at=in_days(20), video_url="https://visio.example.invalid/x")
    migration = importlib.import_module("oncodcc.rcp.migrations.0004_video_url")
    migration.clear_copied_links(apps, None)
    assert Meeting.objects.get(pk=copied.pk).video_url == ""
    assert Meeting.objects.get(pk=own.pk).video_url == "https://visio.example.invalid/x"
