"""Meeting mode on a tablet (1024 px) and a phone (390 px), in Chromium: the case list, the attendance bar and the
proposal are reached without scrolling past the whole fiche form; the page's height on a phone is measured
(printed, see docs/meeting.md) and bounded."""

import pytest
from playwright.sync_api import expect

from oncodcc.questionnaires import services as organ_forms
from oncodcc.questionnaires.definition import parse
from oncodcc.rcp.services import fiches
from tests import factories as f
from tests.questionnaires.helpers import breast


def _meeting_with_a_draft():
    organ_forms.publish(parse(breast()), source="sein.json")
    board = f.BoardFactory(name="RCP Sein Tablette")
    chair = f.DoctorFactory(username="dr.tablette", role="coordinator")
    f.add_member(board, chair.practitioner, coordinator=True)
    meeting = f.hold(f.MeetingFactory(board=board))
    cases = [f.RegistrationFactory(meeting=meeting, created_by=chair, position=i,
                                   requesting_doctor=chair.practitioner, presenting_doctor=chair.practitioner,
                                   patient=f.PatientFactory(birth_name=f"Tablette-{i}"))
             for i in range(1, 13)]
    fiches.start(actor=chair, registration=cases[0])
    return meeting


def _top(page, selector: str) -> float:
    return page.locator(selector).first.evaluate("el => el.getBoundingClientRect().top + window.scrollY")


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (390, 844)])
def test_case_list_attendance_and_proposal_come_before_the_rest_of_the_form(page, live_server, login,
                                                                             transactional_db, width, height):
    meeting = _meeting_with_a_draft()
    page.set_viewport_size({"width": width, "height": height})
    login(page, "dr.tablette")
    page.goto(f"{live_server.url}/rcp/seances/{meeting.pk}/mode-rcp/1/")
    expect(page.locator("#h-proposition")).to_be_visible()
    expect(page.locator("#attendance-panel")).to_have_count(1)  # loaded by htmx inside the bar

    form = page.locator("form.fiche-form")
    form_box = form.bounding_box()
    form_top = _top(page, "form.fiche-form")
    cases, attendance, proposal = (_top(page, ".meeting-mode-cases"), _top(page, ".attendance-bar"),
                                   _top(page, "#h-proposition"))
    total = page.evaluate("document.documentElement.scrollHeight")
    print(f"\nmeeting mode at {width} px: page {total:.0f} px, form {form_box['height']:.0f} px, "
          f"case list at {cases:.0f}, attendance bar at {attendance:.0f}, proposal at {proposal:.0f}")

    assert attendance < form_top and cases < form_top + form_box["height"] * 0.1
    assert proposal - form_top < 400  # the proposal opens the form
    assert attendance < height  # the bar is on the first screen
    # No horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    if width >= 1024:
        assert cases < height and proposal < height * 1.5  # beside the fiche, not below it
    # The attendance bar opens and shows the quorum; it stays open on the next case (each case is a page).
    page.locator(".attendance-bar > summary").click()
    expect(page.locator("#attendance-panel")).to_be_visible()
    expect(page.locator(".attendance-bar")).to_contain_text("Quorum")
    page.goto(f"{live_server.url}/rcp/seances/{meeting.pk}/mode-rcp/2/")
    expect(page.locator("#attendance-panel")).to_be_visible()
    page.locator(".attendance-bar > summary").click()
    page.goto(f"{live_server.url}/rcp/seances/{meeting.pk}/mode-rcp/1/")
    expect(page.locator("#attendance-panel")).to_be_hidden()
