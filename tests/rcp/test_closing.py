"""Closing a meeting: the undiscussed cases postponed (to the board's next meeting, or a new one), withdrawn with a
reason or kept, in one transaction, audited per patient and counted as postponed in the infocentre."""

import html
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from oncodcc.audit.models import AuditEvent
from oncodcc.infocentre import figures, rollups, scopes
from oncodcc.infocentre.models import DailyActivity, Kind
from oncodcc.rcp.models import Fiche, Meeting, Registration
from oncodcc.rcp.services import closing, fiches
from oncodcc.rcp.services.closing import KEEP, POSTPONE, WITHDRAW, Decision
from tests import factories as f


@pytest.fixture
def cases(held_meeting, member_doctor):
    """Three cases on the held meeting: two undiscussed (one with a draft fiche), one discussed."""
    made = [f.RegistrationFactory(meeting=held_meeting, created_by=member_doctor, position=i,
                                  requesting_doctor=member_doctor.practitioner,
                                  presenting_doctor=member_doctor.practitioner,
                                  question=f"Question du dossier {i}", case_summary=f"Synthèse {i}")
            for i in (1, 2, 3)]
    fiches.start(actor=member_doctor, registration=made[1])
    return made


@pytest.fixture
def discussed(cases, coordinator):
    fiche = f.complete_fiche(cases[2], created_by=coordinator)
    fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    cases[2].refresh_from_db()
    return cases[2]


@pytest.fixture
def next_meeting(held_meeting):
    return f.MeetingFactory(board=held_meeting.board, starts_at=held_meeting.starts_at + timedelta(days=14))


def test_undiscussed_are_the_cases_without_a_validated_fiche(held_meeting, cases, discussed):
    assert list(closing.undiscussed(held_meeting)) == cases[:2]


def test_postpone_all_moves_each_case_to_the_next_meeting_and_closes(held_meeting, cases, discussed, next_meeting,
                                                                    secretary):
    later = f.MeetingFactory(board=held_meeting.board, starts_at=next_meeting.starts_at + timedelta(days=14))
    assert list(closing.later_meetings(held_meeting)) == [next_meeting, later]
    undiscussed = list(closing.undiscussed(held_meeting))
    result = closing.close(actor=secretary, meeting=held_meeting, decisions=closing.postpone_all(undiscussed),
                           target=next_meeting)
    held_meeting.refresh_from_db()
    assert held_meeting.status == Meeting.Status.CLOSED and held_meeting.closed_at is not None
    assert result.target == next_meeting and len(result.postponed) == 2
    for old, new in zip(cases[:2], result.postponed, strict=True):
        old.refresh_from_db()
        assert old.status == Registration.Status.MOVED and old.moved_to == new
        assert new.meeting == next_meeting
        assert (new.question, new.case_summary) == (old.question, old.case_summary)
        assert AuditEvent.objects.filter(action="registration.move", patient_id=old.patient_id).count() == 1
    # The draft fiche followed its case; the new registration is "en cours".
    assert result.postponed[1].status == Registration.Status.IN_PROGRESS
    assert result.postponed[1].fiches.filter(status=Fiche.Status.DRAFT).exists()
    assert result.postponed[0].status == Registration.Status.REGISTERED
    # The discussed case stays where it was.
    discussed.refresh_from_db()
    assert discussed.status == Registration.Status.DISCUSSED
    event = AuditEvent.objects.get(action="meeting.close")
    assert event.details == {"postponed": 2, "withdrawn": 0, "kept": 0, "target": next_meeting.pk}


def test_postponed_cases_are_counted_in_the_statistics(held_meeting, cases, next_meeting, secretary):
    closing.close(actor=secretary, meeting=held_meeting, decisions=closing.postpone_all(cases), target=next_meeting)
    day = rollups.paris_day(held_meeting.starts_at)
    counter = DailyActivity.objects.get(kind=Kind.POSTPONED, board=held_meeting.board)
    assert (counter.day, counter.count) == (day, 3)
    assert figures.values(year=day.year, scope=scopes.region())["postponed"] == 3
    # The rebuild from the facts finds the same count.
    rollups.rebuild(audited=False)
    assert DailyActivity.objects.get(kind=Kind.POSTPONED, board=held_meeting.board).count == 3


def test_each_case_gets_its_own_decision(held_meeting, cases, next_meeting, coordinator):
    decisions = {cases[0].pk: Decision(WITHDRAW, "Patient décédé avant la séance"),
                 cases[1].pk: Decision(KEEP), cases[2].pk: Decision(POSTPONE)}
    result = closing.close(actor=coordinator, meeting=held_meeting, decisions=decisions, target=next_meeting)
    for registration in cases:
        registration.refresh_from_db()
    assert cases[0].status == Registration.Status.WITHDRAWN
    assert cases[0].withdrawal_reason == "Patient décédé avant la séance"
    assert AuditEvent.objects.get(action="registration.withdraw", patient_id=cases[0].patient_id).reason == \
        "Patient décédé avant la séance"
    assert cases[1].status == Registration.Status.IN_PROGRESS  # kept: its fiche is finished after the meeting
    assert cases[2].status == Registration.Status.MOVED
    assert (len(result.postponed), len(result.withdrawn), len(result.kept)) == (1, 1, 1)


def test_a_withdrawal_without_reason_refuses_the_whole_closing(held_meeting, cases, next_meeting, coordinator):
    decisions = {cases[0].pk: Decision(POSTPONE), cases[1].pk: Decision(POSTPONE), cases[2].pk: Decision(WITHDRAW)}
    with pytest.raises(ValidationError) as exc:
        closing.close(actor=coordinator, meeting=held_meeting, decisions=decisions, target=next_meeting)
    assert f"reason_{cases[2].pk}" in exc.value.message_dict
    _nothing_changed(held_meeting, cases, next_meeting)


def test_a_refused_case_rolls_back_the_cases_already_postponed(held_meeting, cases, next_meeting, coordinator):
    # The third case's patient is already registered on the target meeting: its move fails after the first two.
    f.RegistrationFactory(meeting=next_meeting, patient=cases[2].patient)
    with pytest.raises(ValidationError, match="déjà inscrit"):
        closing.close(actor=coordinator, meeting=held_meeting, decisions=closing.postpone_all(cases),
                      target=next_meeting)
    _nothing_changed(held_meeting, cases, next_meeting, already_there=1)


def test_the_list_must_not_have_changed(held_meeting, cases, next_meeting, coordinator):
    with pytest.raises(ValidationError, match="a changé"):
        closing.close(actor=coordinator, meeting=held_meeting, decisions=closing.postpone_all(cases[:2]),
                      target=next_meeting)
    _nothing_changed(held_meeting, cases, next_meeting)


def test_without_a_later_meeting_one_is_created_or_the_closing_refused(held_meeting, cases, coordinator,
                                                                      secretary):
    with pytest.raises(ValidationError, match="Aucune séance suivante"):
        closing.close(actor=coordinator, meeting=held_meeting, decisions=closing.postpone_all(cases))
    when = held_meeting.starts_at + timedelta(days=7)
    result = closing.close(actor=secretary, meeting=held_meeting, decisions=closing.postpone_all(cases),
                           new_target_at=when)
    assert result.target.board == held_meeting.board and result.target.starts_at == when
    assert result.target.registrations.count() == 3


def test_target_must_be_a_later_planned_meeting_of_the_board(held_meeting, cases, coordinator):
    other_board = f.MeetingFactory()
    with pytest.raises(ValidationError, match="même RCP"):
        closing.close(actor=coordinator, meeting=held_meeting, decisions=closing.postpone_all(cases),
                      target=other_board)


def test_only_those_who_run_the_meeting_close_it(held_meeting, cases, next_meeting, outsider):
    with pytest.raises(PermissionDenied):
        closing.close(actor=outsider, meeting=held_meeting, decisions=closing.postpone_all(cases),
                      target=next_meeting)
    _nothing_changed(held_meeting, cases, next_meeting)


def _nothing_changed(meeting, cases, target, *, already_there=0):
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.OPEN
    assert target.registrations.count() == already_there
    assert not AuditEvent.objects.filter(action__in=["registration.move", "registration.withdraw",
                                                     "meeting.close"]).exists()
    assert not DailyActivity.objects.filter(kind=Kind.POSTPONED).exists()
    for registration in cases:
        registration.refresh_from_db()
        assert registration.is_active


# --- the page ---


def test_closing_page_lists_the_undiscussed_cases_and_audits_each(client, held_meeting, cases, discussed,
                                                                 next_meeting, secretary):
    client.force_login(secretary)
    response = client.get(reverse("rcp:meeting_close", args=[held_meeting.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for registration in cases[:2]:
        assert registration.patient.display_name in page
    assert discussed.patient.display_name not in page
    assert "Reporter tous les cas non discutés" in page
    shown = AuditEvent.objects.filter(action="patient.list", details__page="meeting_close")
    assert set(shown.values_list("patient_id", flat=True)) == {c.patient_id for c in cases[:2]}


def test_closing_page_postpones_all_in_one_click(client, held_meeting, cases, next_meeting, secretary):
    client.force_login(secretary)
    url = reverse("rcp:meeting_close", args=[held_meeting.pk])
    response = client.post(url, {"action": "postpone_all", "target": str(next_meeting.pk)}, follow=True)
    assert "3 dossiers reportés à la séance du" in response.content.decode()
    held_meeting.refresh_from_db()
    assert held_meeting.status == Meeting.Status.CLOSED
    assert next_meeting.registrations.count() == 3


def test_closing_page_errors_keep_everything_as_it_was(client, held_meeting, cases, next_meeting, secretary):
    client.force_login(secretary)
    url = reverse("rcp:meeting_close", args=[held_meeting.pk])
    data = {"action": "close", "target": str(next_meeting.pk),
            **{f"case_{r.pk}": POSTPONE for r in cases}, f"case_{cases[0].pk}": WITHDRAW}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Indiquez le motif du retrait." in response.content.decode()
    _nothing_changed(held_meeting, cases, next_meeting)
    # A new meeting without its date is a form error, not a 500.
    response = client.post(url, {"action": "postpone_all", "target": "new", "new_date": ""})
    assert response.status_code == 400
    assert "Indiquez la date et l'heure de la nouvelle séance." in html.unescape(response.content.decode())
    _nothing_changed(held_meeting, cases, next_meeting)


def test_an_administrator_sees_how_many_cases_remain_not_who(client, held_meeting, cases, next_meeting):
    admin = f.UserFactory(role="admin_3c", organisation=held_meeting.board.managing_3c)
    client.force_login(admin)
    url = reverse("rcp:meeting_close", args=[held_meeting.pk])
    page = client.get(url).content.decode()
    assert "3 dossiers n'ont pas de fiche validée" in html.unescape(page)
    assert cases[0].patient.display_name not in page
    assert client.post(url, {"action": "postpone_all", "target": str(next_meeting.pk)}).status_code == 403
    _nothing_changed(held_meeting, cases, next_meeting)


def test_the_meeting_page_links_to_the_closing_page_without_a_browser_confirm(client, held_meeting, secretary):
    client.force_login(secretary)
    page = client.get(reverse("rcp:meeting_detail", args=[held_meeting.pk])).content.decode()
    assert reverse("rcp:meeting_close", args=[held_meeting.pk]) in page
    assert "resteront en brouillon" not in page


def test_a_member_cannot_create_the_target_meeting_and_gets_a_form_error(client, held_meeting, cases,
                                                                         member_doctor):
    client.force_login(member_doctor)  # runs the meeting (member), does not organise the board
    when = (held_meeting.local_start + timedelta(days=7)).date()
    response = client.post(reverse("rcp:meeting_close", args=[held_meeting.pk]),
                           {"action": "postpone_all", "target": "new", "new_date": when.isoformat(),
                            "new_time": "17:00"})
    assert response.status_code == 400
    assert "Seuls le coordonnateur et le secrétariat de la RCP créent une séance" in response.content.decode()
    assert Meeting.objects.filter(board=held_meeting.board).count() == 1
    held_meeting.refresh_from_db()
    assert held_meeting.status == Meeting.Status.OPEN
    assert all(Registration.objects.get(pk=r.pk).is_active for r in cases)
    assert not AuditEvent.objects.filter(action__in=["registration.move", "meeting.close"]).exists()
