"""Meeting mode from the keyboard, in Chromium: j / k and Alt+↓ / Alt+↑ move exactly one case (a double press
does not skip one), the case list highlights the current case and is clickable, typing in the fiche does not
move, and the code suggestions arrive on demand."""

import re

from playwright.sync_api import expect

from oncodcc.rcp.services import fiches
from tests import factories as f


def test_keyboard_moves_one_case_at_a_time(page, live_server, login, transactional_db):
    board = f.BoardFactory(name="RCP Clavier")
    chair = f.DoctorFactory(username="dr.clavier", role="coordinator")
    f.add_member(board, chair.practitioner, coordinator=True)
    meeting = f.hold(f.MeetingFactory(board=board))
    cases = [f.RegistrationFactory(meeting=meeting, created_by=chair, position=i,
                                   requesting_doctor=chair.practitioner, presenting_doctor=chair.practitioner,
                                   patient=f.PatientFactory(birth_name=f"Clavier-{i}"))
             for i in range(1, 6)]
    fiches.start(actor=chair, registration=cases[0])

    def at(position: int):
        expect(page).to_have_url(re.compile(rf"/mode-rcp/{position}/$"))
        expect(page.get_by_text(f"Dossier {position} / 5")).to_be_visible()
        current = page.locator(".meeting-mode-cases .case-current")
        expect(current).to_have_count(1)
        expect(current).to_contain_text(f"CLAVIER-{position}")

    login(page, "dr.clavier")
    page.goto(f"{live_server.url}/rcp/seances/{meeting.pk}/")
    page.get_by_role("link", name="Mode RCP").click()
    at(1)
    expect(page.locator(".meeting-mode-cases .case-row")).to_have_count(5)
    expect(page.locator(".meeting-mode-cases .case-current .case-state")).to_have_text("brouillon")

    # Typing "j" in the fiche writes a "j", it does not move.
    summary = page.get_by_label("Synthèse du cas présenté")
    summary.press("End")
    summary.press("j")
    at(1)
    summary.press("Control+s")  # saved, so that leaving the page asks nothing
    at(1)

    page.locator("body").press("j")
    at(2)
    page.keyboard.press("Alt+ArrowDown")
    at(3)
    page.keyboard.press("k")
    at(2)
    page.keyboard.press("Alt+ArrowUp")
    at(1)

    # Alt+← on the first case stays there (app.js keeps it from the browser's Back shortcut; headless Chromium
    # does not reproduce that shortcut, so this checks the stay, not the prevention).
    page.keyboard.press("Alt+ArrowLeft")
    page.wait_for_timeout(500)
    at(1)
    # A held key (auto-repeat) does not run through the cases.
    page.evaluate("""() => document.dispatchEvent(
        new KeyboardEvent("keydown", {key: "j", repeat: true, bubbles: true}))""")
    page.wait_for_timeout(500)
    at(1)
    page.keyboard.press("j")
    at(2)

    # The list is clickable.
    page.locator(".meeting-mode-cases").get_by_role("link", name=re.compile("CLAVIER-5")).click()
    at(5)
    page.keyboard.press("j")  # no case after the last one
    at(5)

    # The code suggestions are fetched as one types.
    page.goto(f"{live_server.url}/rcp/seances/{meeting.pk}/mode-rcp/1/")
    page.get_by_label("Topographie (CIM-10)").first.fill("C50")
    expect(page.locator("#jdv-topographie option[value='C50.4']")).to_have_count(1)
