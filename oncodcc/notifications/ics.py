"""The iCalendar (RFC 5545) rendering of a user's meetings, with the `icalendar` package."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override
from icalendar import Calendar, Event

from oncodcc.rcp.models import Meeting

from .calendars import FEED_FUTURE_DAYS, FEED_PAST_DAYS
from .recipients import site_link

STATUS = {Meeting.Status.CANCELLED: "CANCELLED"}


def _location(meeting: Meeting) -> str:
    parts = [meeting.place or meeting.board.place, meeting.location.name if meeting.location_id else ""]
    return " — ".join(p for p in parts if p)


def event(meeting: Meeting, *, stamp) -> Event:
    start = meeting.local_start
    page = site_link(reverse("rcp:meeting_detail", args=[meeting.pk]))
    video = meeting.effective_video_url
    with override("fr"):
        summary = f"{meeting.board.name} — séance du {date_format(start, 'j F Y')}"
    vevent = Event()
    vevent.add("uid", f"seance-{meeting.pk}@oncodcc")
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", start)
    vevent.add("dtend", start + timedelta(minutes=meeting.duration_minutes))
    vevent.add("summary", summary)
    location = _location(meeting)
    if location:
        vevent.add("location", location)
    lines = [f"Séance : {meeting.board.name} ({meeting.get_status_display()})."]
    if video:
        lines.append(f"Visioconférence : {video}")
        # RFC 7986 CONFERENCE: calendar applications show a "join" button.
        vevent.add("conference", video, parameters={"VALUE": "URI", "FEATURE": "VIDEO"})
    lines.append(f"Page de la séance (connexion requise) : {page}")
    vevent.add("description", "\n".join(lines))
    vevent.add("url", page)
    vevent.add("status", STATUS.get(meeting.status, "CONFIRMED"))
    return vevent


def render(meetings: list[Meeting], *, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//OncoDCC//Calendrier des RCP//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Paris")
    stamp = timezone.now()
    for meeting in meetings:
        cal.add_component(event(meeting, stamp=stamp))
    # The Europe/Paris definition over the feed's window only (the default spans 1970–2038, hundreds of lines).
    cal.add_missing_timezones(first_date=(stamp - timedelta(days=FEED_PAST_DAYS + 366)).date(),
                              last_date=(stamp + timedelta(days=FEED_FUTURE_DAYS + 366)).date())
    return cal.to_ical()
