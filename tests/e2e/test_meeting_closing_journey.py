"""Closing a meeting in a real browser: the secretary closes a meeting where three cases were not discussed,
postpones them in one click, and finds them registered on the board's next meeting (question kept); the
discussed case stays on the closed meeting."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from oncodcc.rcp.models import Meeting, Registration
from oncodcc.rcp.services import fiches
from tests import factories as f


def test_close_meeting_postpones_undiscussed_cases_in_one_click(page, live_server, login, transactional_db):
    board = f.BoardFactory(name="RCP Digestif Clôture")
    coordinator = f.DoctorFactory(username="dr.cloture", role="coordinator")
    f.add_member(board, coordinator.practitioner, coordinator=True)
    secretary = f.UserFactory(username="secr.cloture", role="secretary", organisation=board.managing_3c)
    board.secretaries.add(secretary)
    meeting = f.hold(f.MeetingFactory(board=board))
    next_meeting = f.MeetingFactory(board=board, starts_at=meeting.starts_at + timedelta(days=7))
    cases = [
        f.RegistrationFactory(meeting=meeting, created_by=secretary, position=i,
                              requesting_doctor=coordinator.practitioner, presenting_doctor=coordinator.practitioner,
                              patient=f.PatientFactory(birth_name=name), question=f"Question pour {name}")
        for i, name in enumerate(["Discutée", "Reportée-Un", "Reportée-Deux", "Reportée-Trois"], start=1)
    ]
    fiche = f.complete_fiche(cases[0], created_by=coordinator)
    fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)

    login(page, "secr.cloture")
    page.goto(f"{live_server.url}/rcp/seances/{meeting.pk}/")
    page.get_by_role("link", name="Clôturer la séance…").click()
    listed = page.locator("#undiscussed-cases")
    for name in ("REPORTÉE-UN", "REPORTÉE-DEUX", "REPORTÉE-TROIS"):
        expect(listed.get_by_text(re.compile(name, re.I)).first).to_be_visible()
    expect(listed.get_by_text(re.compile("DISCUTÉE", re.I))).to_have_count(0)
    expect(page.get_by_label("Séance qui reçoit les dossiers reportés")).to_have_value(str(next_meeting.pk))

    page.get_by_role("button", name="Reporter tous les cas non discutés et clôturer").click()
    expect(page.get_by_text("3 dossiers reportés à la séance du")).to_be_visible()
    expect(page.locator("#meeting-status")).to_have_text("Séance clôturée")
    expect(page.get_by_text("Dossiers reportés ou retirés")).to_be_visible()

    page.goto(f"{live_server.url}/rcp/seances/{next_meeting.pk}/")
    on_next = page.locator("#case-list")
    for name in ("REPORTÉE-UN", "REPORTÉE-DEUX", "REPORTÉE-TROIS"):
        expect(on_next.get_by_text(re.compile(name, re.I)).first).to_be_visible()
    expect(on_next.get_by_text("Question pour Reportée-Deux")).to_be_visible()

    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED
    assert [r.status for r in Registration.objects.filter(meeting=meeting).order_by("position")] == [
        Registration.Status.DISCUSSED, *[Registration.Status.MOVED] * 3]
    assert next_meeting.registrations.filter(status=Registration.Status.REGISTERED).count() == 3
