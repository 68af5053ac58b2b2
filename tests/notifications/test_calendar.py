"""The iCalendar feed per user (a secret address: issued, regenerated, revoked; parsed here with `icalendar`) and
the month view of the calendar. Schedules only: no patient data."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.notifications.models import CalendarFeed
from oncodcc.rcp.models import PARIS, Meeting
from tests import factories as f

pytestmark = pytest.mark.django_db


def next_month_day(day: int = 10, hour: int = 17) -> datetime:
    first = (timezone.localdate(timezone=PARIS).replace(day=1) + timedelta(days=32)).replace(day=1)
    return datetime.combine(first.replace(day=day), time(hour), tzinfo=PARIS)


@pytest.fixture
def schedule(board, member_doctor):
    """My board's meetings next month (one with its own video link, one cancelled), a case on the first, and a
    meeting of another board."""
    board.video_url = "https://visio.example.invalid/rcp-sein"
    board.save()
    own = f.MeetingFactory(board=board, starts_at=next_month_day(10), video_url="https://visio.example.invalid/x")
    usual = f.MeetingFactory(board=board, starts_at=next_month_day(24))
    cancelled = f.MeetingFactory(board=board, starts_at=next_month_day(17), status=Meeting.Status.CANCELLED)
    f.RegistrationFactory(meeting=own, patient=f.PatientFactory(birth_name="Quenehervé"),
                          requesting_doctor=member_doctor.practitioner, presenting_doctor=member_doctor.practitioner)
    other = f.MeetingFactory(board=f.BoardFactory(name="RCP Thorax"), starts_at=next_month_day(11))
    return {"own": own, "usual": usual, "cancelled": cancelled, "other": other}


def issue(client, user) -> str:
    client.force_login(user)
    response = client.post(reverse("notifications:subscription"), {"action": "issue"}, follow=True)
    assert response.redirect_chain == [(reverse("notifications:subscription"), 302)]
    address = response.context["address"]
    assert address.startswith("http://testserver/calendrier/") and address.endswith(".ics")
    assert address in response.content.decode()
    return address.removeprefix("http://testserver")


def test_the_feed_lists_my_boards_meetings_and_no_patient(client, member_doctor, schedule):
    path = issue(client, member_doctor)
    client.logout()  # calendar applications have no session: the secret address is the key

    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Quenehervé" not in response.content.decode() and "QUENEHERV" not in response.content.decode()
    cal = Calendar.from_ical(response.content)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    mine = {schedule[k].pk for k in ("own", "usual", "cancelled")}
    assert set(events) == {f"seance-{pk}@oncodcc" for pk in mine}  # not the other board's meeting
    own = events[f"seance-{schedule['own'].pk}@oncodcc"]
    start = schedule["own"].local_start
    assert str(own["SUMMARY"]).startswith(f"{schedule['own'].board.name} — séance du 10 ")
    assert str(own["SUMMARY"]).endswith(str(start.year))
    assert own.decoded("DTSTART") == start and own.decoded("DTSTART").utcoffset() == start.utcoffset()
    assert own.decoded("DTEND") - own.decoded("DTSTART") == timedelta(minutes=90)
    assert "Salle de staff, bâtiment B" in str(own["LOCATION"])
    assert "https://visio.example.invalid/x" in str(own["DESCRIPTION"]) and str(own["CONFERENCE"]) == \
        "https://visio.example.invalid/x"
    usual = events[f"seance-{schedule['usual'].pk}@oncodcc"]
    assert str(usual["CONFERENCE"]) == "https://visio.example.invalid/rcp-sein"  # the board's link
    assert str(events[f"seance-{schedule['cancelled'].pk}@oncodcc"]["STATUS"]) == "CANCELLED"
    assert str(own["STATUS"]) == "CONFIRMED"
    assert any(c.name == "VTIMEZONE" for c in cal.subcomponents)
    assert CalendarFeed.objects.get(user=member_doctor).last_used_at is not None


def test_french_month_names_in_the_titles(client, member_doctor, board):
    meeting = f.MeetingFactory(board=board, starts_at=datetime(2031, 12, 9, 17, tzinfo=PARIS))
    path = issue(client, member_doctor)
    cal = Calendar.from_ical(client.get(path).content)
    # A meeting more than a year ahead is outside the feed's window.
    assert f"seance-{meeting.pk}@oncodcc" not in {str(e["UID"]) for e in cal.walk("VEVENT")}
    meeting.starts_at = timezone.now() + timedelta(days=3)
    meeting.save()
    cal = Calendar.from_ical(client.get(path).content)
    (event,) = [e for e in cal.walk("VEVENT") if str(e["UID"]) == f"seance-{meeting.pk}@oncodcc"]
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre"]
    assert f" {months[meeting.local_start.month - 1]} " in str(event["SUMMARY"])


def test_a_wrong_regenerated_or_revoked_address_is_not_found(client, member_doctor, schedule):
    assert client.get("/calendrier/pas-un-jeton.ics").status_code == 404
    first = issue(client, member_doctor)
    # The address is shown once (a reload does not show it again): only its hash is kept.
    page = client.get(reverse("notifications:subscription")).content.decode()
    assert first not in page and "Adresse active depuis le" in page
    token = first.removeprefix("/calendrier/").removesuffix(".ics")
    assert token not in str(list(CalendarFeed.objects.values()))
    second = issue(client, member_doctor)
    assert second != first
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    response = client.post(reverse("notifications:subscription"), {"action": "revoke"}, follow=True)
    assert "Adresse révoquée" in response.content.decode()
    assert client.get(second).status_code == 404
    actions = list(AuditEvent.objects.filter(actor_id=member_doctor.pk, action__startswith="calendar.")
                   .order_by("id").values_list("action", "patient_id"))
    assert actions == [(Action.CALENDAR_FEED_CREATE, None), (Action.CALENDAR_FEED_CREATE, None),
                       (Action.CALENDAR_FEED_REVOKE, None)]


def test_a_deactivated_account_has_no_feed(client, member_doctor, schedule):
    path = issue(client, member_doctor)
    member_doctor.is_active = False
    member_doctor.save()
    assert client.get(path).status_code == 404


def test_the_subscription_page_requires_signing_in(client):
    response = client.get(reverse("notifications:subscription"))
    assert response.status_code == 302 and "/comptes/connexion/" in response["Location"]


def test_month_view_shows_my_boards_in_french_and_every_board_on_request(client, member_doctor, schedule):
    client.force_login(member_doctor)
    first = schedule["own"].local_start.date().replace(day=1)
    response = client.get(reverse("notifications:month"), {"mois": first.strftime("%Y-%m")})
    html = response.content.decode()
    month_names = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                   "novembre", "décembre"]
    assert f"Calendrier — {month_names[first.month - 1]} {first.year}" in html
    assert ">Lundi</th>" in html and ">Dimanche</th>" in html  # column headings: a capital, as a heading starts
    assert f'data-meeting="{schedule["own"].pk}"' in html and f'data-meeting="{schedule["usual"].pk}"' in html
    assert f'data-meeting="{schedule["other"].pk}"' not in html
    assert reverse("rcp:meeting_detail", args=[schedule["own"].pk]) in html
    assert "1 dossier<" in html and "annulée" in html
    assert "Quenehervé" not in html and "QUENEHERV" not in html
    assert ' style="' not in html and "<script>" not in html  # the strict CSP forbids inline styles and scripts
    every = client.get(reverse("notifications:month"), {"mois": first.strftime("%Y-%m"), "toutes": "1"})
    html = every.content.decode()
    assert f'data-meeting="{schedule["other"].pk}"' in html
    # Another board's meeting links to the board's public page, not to its meeting page.
    assert reverse("rcp:board_detail", args=[schedule["other"].board_id]) in html


@pytest.mark.parametrize("bad", ["2026-13", "abc", "0001-01", "2026-1-1"])
def test_month_view_falls_back_on_the_current_month(client, member_doctor, bad):
    client.force_login(member_doctor)
    response = client.get(reverse("notifications:month"), {"mois": bad}, follow=True)
    assert response.status_code == 200
    assert "Mois invalide : affichage du mois en cours." in response.content.decode()
    assert response.context["month"].first == timezone.localdate(timezone=PARIS).replace(day=1)


def test_an_unknown_action_changes_nothing(client, member_doctor):
    client.force_login(member_doctor)
    response = client.post(reverse("notifications:subscription"), {"action": "supprimer-tout"}, follow=True)
    assert "Action inconnue." in response.content.decode()
    assert not CalendarFeed.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="calendar.").exists()
