"""The calendar in the browser: a doctor opens *Calendrier* (the month view, in French), moves to the next month
with Alt+→, opens a meeting and finds its video-conference link, then subscribes from a calendar application: the
secret address is shown once, serves the meetings as iCalendar to a client without a session, and stops working
once revoked."""

import urllib.error
import urllib.request
from datetime import datetime, time, timedelta

from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from oncodcc.rcp.models import PARIS
from tests import factories as f

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (the test's own live server)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_month_view_and_calendar_subscription(page, live_server, login, transactional_db):
    board = f.BoardFactory(name="RCP Sein Littoral", video_url="https://visio.example.invalid/sein")
    doctor = f.DoctorFactory(username="dr.calendrier")
    f.add_member(board, doctor.practitioner)
    today = timezone.localdate(timezone=PARIS)
    this_month = f.MeetingFactory(board=board, starts_at=datetime.combine(today, time(20), tzinfo=PARIS))
    next_first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    f.MeetingFactory(board=board, starts_at=datetime.combine(next_first.replace(day=10), time(17), tzinfo=PARIS))
    f.MeetingFactory(board=f.BoardFactory(name="RCP Thorax"), starts_at=this_month.starts_at)

    menu = page.get_by_role("navigation", name="Navigation principale")
    login(page, "dr.calendrier")
    menu.get_by_role("link", name="Calendrier").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"Calendrier — {MONTHS[today.month - 1]} {today.year}")
    expect(page.locator(f'[data-meeting="{this_month.pk}"]')).to_contain_text("RCP Sein Littoral")
    expect(page.get_by_text("RCP Thorax")).to_have_count(0)  # not one of my boards
    page.keyboard.press("Alt+ArrowRight")
    expect(heading).to_have_text(f"Calendrier — {MONTHS[next_first.month - 1]} {next_first.year}")
    expect(page.locator("[data-meeting]")).to_have_count(1)
    page.locator("[data-meeting] a").click()
    expect(page.locator("[data-video-link]")).to_have_attribute("href", "https://visio.example.invalid/sein")

    menu.get_by_role("link", name="Calendrier").click()
    page.get_by_role("link", name="S'abonner depuis un agenda (iCalendar)").click()
    page.get_by_role("button", name="Créer mon adresse d'abonnement").click()
    address = page.get_by_label("Adresse d'abonnement").input_value()
    assert address.startswith(f"{live_server.url}/calendrier/") and address.endswith(".ics")
    status, body = fetch(address)
    assert status == 200
    summaries = sorted(str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT"))
    assert len(summaries) == 2 and all(s.startswith("RCP Sein Littoral — séance du ") for s in summaries)

    page.goto(f"{live_server.url}/calendrier/abonnement/")
    expect(page.get_by_label("Adresse d'abonnement")).to_have_count(0)  # shown once only
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Révoquer l'adresse").click()
    expect(page.get_by_text("Adresse révoquée")).to_be_visible()
    assert fetch(address)[0] == 404

