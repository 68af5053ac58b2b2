"""The RCP organisation screens: boards, calendar, the meeting page, its status, attendance and case order."""

import html as htmllib
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape

from oncodcc.audit.models import AuditEvent
from oncodcc.rcp.models import PARIS, Attendance, Meeting, Registration
from tests import factories as f

HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def page(client, user, url, **kwargs):
    client.force_login(user)
    return client.get(url, **kwargs)


def in_days(days: int, hour: int = 17) -> datetime:
    return datetime.combine(timezone.localdate(timezone=PARIS) + timedelta(days=days), time(hour), tzinfo=PARIS)


def assert_csp_safe(html: str) -> None:
    """No inline script, style attribute or event handler: the CSP forbids them."""
    lowered = html.lower()
    assert "<script>" not in lowered and "<script " not in lowered.replace('<script src=', '')
    assert ' style="' not in lowered
    assert " onclick=" not in lowered and " onchange=" not in lowered and " onsubmit=" not in lowered


# --- boards ---

def test_board_list_shows_my_boards_then_the_region_without_patient_data(client, member_doctor, registration):
    other = f.BoardFactory(name="RCP Thorax régionale", organs=["39607008"], organ_system="")
    f.MeetingFactory(board=other, starts_at=in_days(5), status=Meeting.Status.CANCELLED)
    next_one = f.MeetingFactory(board=other, starts_at=in_days(3))
    response = page(client, member_doctor, reverse("rcp:board_list"))
    assert response.status_code == 200
    html = response.content.decode()
    mine, region = html.split("Toutes les RCP de la région")
    assert registration.meeting.board.name in mine and other.name not in mine
    assert other.name in region and registration.meeting.board.name in region
    assert registration.meeting.board.managing_3c.name in html
    assert "un mardi sur 2" in html  # recurrence label
    assert date_format(next_one.local_start, "j F Y à H:i") in region  # "10 décembre 2026", never "jeu 10 Déc"
    assert registration.patient.birth_name.upper() not in html
    assert_csp_safe(html)


def test_board_detail_shows_members_with_specialties_and_the_form_for_staff(client, board, coordinator, secretary,
                                                                           member_doctor, meeting):
    response = page(client, secretary, reverse("rcp:board_detail", args=[board.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert str(coordinator.practitioner) in html and str(member_doctor.practitioner) in html
    assert member_doctor.practitioner.specialty_label in html
    assert str(secretary) in html
    assert "Nouvelle séance ponctuelle" in html
    assert reverse("rcp:meeting_detail", args=[meeting.pk]) in html
    assert 'for="id_date"' in html and 'for="id_time"' in html and 'for="id_place"' in html
    # A plain member sees the board but cannot create meetings.
    html = page(client, member_doctor, reverse("rcp:board_detail", args=[board.pk])).content.decode()
    assert "Nouvelle séance ponctuelle" not in html


def test_board_detail_unknown_is_404(client, outsider):
    assert page(client, outsider, reverse("rcp:board_detail", args=[999999])).status_code == 404


# --- ad hoc meetings ---

def test_staff_creates_an_ad_hoc_meeting_in_paris_time(client, board, secretary):
    day = timezone.localdate(timezone=PARIS) + timedelta(days=20)
    client.force_login(secretary)
    response = client.post(reverse("rcp:meeting_create", args=[board.pk]),
                           {"date": day.isoformat(), "time": "18:30", "place": "Salle 3"})
    meeting = Meeting.objects.get(board=board, place="Salle 3")
    assert response.status_code == 302 and response["Location"] == reverse("rcp:meeting_detail", args=[meeting.pk])
    assert meeting.local_start.date() == day and meeting.local_start.time() == time(18, 30)
    assert not meeting.from_recurrence


def test_meeting_creation_errors_are_shown_on_the_form(client, board, secretary):
    client.force_login(secretary)
    url = reverse("rcp:meeting_create", args=[board.pk])
    past = (timezone.localdate(timezone=PARIS) - timedelta(days=2)).isoformat()
    response = client.post(url, {"date": past, "time": "17:00"})
    assert response.status_code == 200
    assert "La séance doit avoir lieu dans le futur." in response.content.decode()
    f.MeetingFactory(board=board, starts_at=in_days(10, 17))
    response = client.post(url, {"date": in_days(10).date().isoformat(), "time": "17:00"})
    assert "Une séance de cette RCP existe déjà" in response.content.decode()
    response = client.post(url, {"date": "pas une date", "time": ""})
    assert response.status_code == 200
    assert Meeting.objects.filter(board=board).count() == 1


def test_meeting_creation_refused_to_a_member_or_outsider(client, board, member_doctor, outsider):
    for user in (member_doctor, outsider):
        client.force_login(user)
        response = client.post(reverse("rcp:meeting_create", args=[board.pk]),
                               {"date": in_days(9).date().isoformat(), "time": "17:00"})
        assert response.status_code == 403
    assert not Meeting.objects.filter(board=board).exists()


# --- calendar ---

def test_calendar_week_with_case_counts_and_navigation(client, board, member_doctor):
    monday = timezone.localdate(timezone=PARIS) + timedelta(days=14)
    monday -= timedelta(days=monday.weekday())
    meeting = f.MeetingFactory(board=board, starts_at=datetime.combine(monday + timedelta(days=1), time(17),
                                                                      tzinfo=PARIS))
    f.RegistrationFactory.create_batch(2, meeting=meeting)
    f.RegistrationFactory(meeting=meeting, status=Registration.Status.WITHDRAWN)
    other = f.MeetingFactory(starts_at=datetime.combine(monday + timedelta(days=2), time(8), tzinfo=PARIS))
    url = reverse("rcp:calendar")
    html = page(client, member_doctor, url, data={"semaine": (monday + timedelta(days=3)).isoformat()}).content.decode()
    assert board.name in html and "17:00" in html
    assert "2 dossiers inscrits" in html
    assert reverse("rcp:meeting_detail", args=[meeting.pk]) in html
    assert other.board.name not in html  # 'mes RCP' by default
    assert f"semaine={(monday - timedelta(days=7)).isoformat()}" in html
    assert f"semaine={(monday + timedelta(days=7)).isoformat()}" in html
    html = client.get(url, {"semaine": monday.isoformat(), "toutes": "1"}).content.decode()
    assert other.board.name in html
    assert reverse("rcp:meeting_detail", args=[other.pk]) not in html  # not my board: link to the board page
    assert reverse("rcp:board_detail", args=[other.board_id]) in html
    # The week before is empty.
    html = client.get(url, {"semaine": (monday - timedelta(days=7)).isoformat()}).content.decode()
    assert "Aucune séance cette semaine" in html


def test_calendar_defaults_to_current_week_and_survives_bad_input(client, board, member_doctor):
    f.MeetingFactory(board=board, starts_at=in_days(0, 23) if timezone.localdate(timezone=PARIS).weekday() == 6
                     else in_days(1))
    response = page(client, member_doctor, reverse("rcp:calendar"))
    assert response.status_code == 200 and board.name in response.content.decode()
    for bad in ("2026-13-45", "0001-01-01", "9999-12-31", "demain"):
        response = client.get(reverse("rcp:calendar"), {"semaine": bad})
        assert response.status_code == 200
        assert "Date de semaine invalide" in response.content.decode()


def test_calendar_week_boundaries_are_paris_midnight(client, board, member_doctor):
    monday = date(2026, 10, 26)  # the day after the change to winter time
    sunday_late = f.MeetingFactory(board=board, starts_at=datetime(2026, 10, 25, 23, 30, tzinfo=PARIS))
    monday_early = f.MeetingFactory(board=board, starts_at=datetime(2026, 10, 26, 0, 30, tzinfo=PARIS))
    html = page(client, member_doctor, reverse("rcp:calendar"), data={"semaine": monday.isoformat()}).content.decode()
    assert reverse("rcp:meeting_detail", args=[monday_early.pk]) in html
    assert reverse("rcp:meeting_detail", args=[sunday_late.pk]) not in html


# --- the meeting page ---

def test_meeting_page_lists_cases_in_order_with_fiche_status_and_audits_once(client, secretary, meeting, member_doctor):
    first = f.RegistrationFactory(meeting=meeting, position=2)
    second = f.RegistrationFactory(meeting=meeting, position=1, complete_file=True)
    withdrawn = f.RegistrationFactory(meeting=meeting, position=3, status=Registration.Status.WITHDRAWN,
                                      withdrawal_reason="Décès")
    f.complete_fiche(first, created_by=member_doctor)
    response = page(client, secretary, reverse("rcp:meeting_detail", args=[meeting.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    case_list = html.split('id="case-list"')[1].split("Dossiers reportés ou retirés")[0]
    # Names are HTML-escaped in the page (Faker may produce "D'Aubigné").
    assert case_list.index(escape(second.patient.display_name)) < case_list.index(escape(first.patient.display_name))
    assert "brouillon" in case_list and "complet" in case_list
    assert escape(withdrawn.patient.display_name) not in case_list and "Décès" in html
    assert reverse("patients:detail", args=[first.patient_id]) in html
    assert first.patient.birth_date.strftime("%d/%m/%Y") in html
    assert reverse("rcp:registration_move", args=[first.pk]) in html
    assert reverse("rcp:registration_withdraw", args=[first.pk]) in html
    assert reverse("rcp:meeting_mode", args=[meeting.pk]) in html
    assert f"{reverse('rcp:registration_create')}?meeting={meeting.pk}" in html
    assert "Ouvrir la séance" in html and "Annuler la séance" in html and "Clôturer" not in html
    assert 'id="attendance-panel"' in html
    assert_csp_safe(html)
    assert AuditEvent.objects.filter(action="meeting.view", object_id=str(meeting.pk)).count() == 1
    # Each patient listed finds the page in their own access history.
    listed = AuditEvent.objects.filter(action="patient.list", object_id=str(meeting.pk))
    assert sorted(listed.values_list("patient_id", flat=True)) == sorted(
        [first.patient_id, second.patient_id, withdrawn.patient_id])


def test_meeting_page_for_a_member_without_organisation_rights(client, member_doctor, registration):
    html = page(client, member_doctor, reverse("rcp:meeting_detail", args=[registration.meeting_id])).content.decode()
    assert registration.patient.display_name in html
    assert "Ouvrir la séance" in html  # members run the meeting (status, attendance)
    assert reverse("rcp:reorder", args=[registration.meeting_id]) not in html  # the order is the secretariat's
    assert f'id="present-{registration.meeting_id}-{member_doctor.practitioner_id}"' in html


def test_meeting_page_refused_to_outsider(client, outsider, registration):
    response = page(client, outsider, reverse("rcp:meeting_detail", args=[registration.meeting_id]))
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()  # core/error.html
    assert registration.patient.display_name not in response.content.decode()
    assert not AuditEvent.objects.filter(action="meeting.view").exists()


def test_meeting_page_unknown_is_404(client, secretary):
    assert page(client, secretary, reverse("rcp:meeting_detail", args=[987654])).status_code == 404


# Session, user, meeting, access (boards_of), rights, cases (+ fiches), attendance panel, audit event, candidates.
MEETING_PAGE_MAX_QUERIES = 26  # includes the one insert naming every patient listed (audit.record_many)


def test_meeting_page_has_a_bounded_number_of_queries(client, board, secretary, django_assert_max_num_queries):
    client.force_login(secretary)
    counts = {}
    for n_cases in (3, 12):
        meeting = f.MeetingFactory(board=board, starts_at=in_days(7 + n_cases))
        for registration in f.RegistrationFactory.create_batch(n_cases, meeting=meeting):
            f.complete_fiche(registration, created_by=secretary)
        f.give_quorum(meeting)
        url = reverse("rcp:meeting_detail", args=[meeting.pk])
        with django_assert_max_num_queries(MEETING_PAGE_MAX_QUERIES) as ctx:
            assert client.get(url).status_code == 200
        counts[n_cases] = len(ctx.captured_queries)
    assert counts[3] == counts[12], counts


# --- status ---

def test_status_buttons_follow_the_allowed_transitions(client, secretary, meeting):
    client.force_login(secretary)
    url = reverse("rcp:meeting_status", args=[meeting.pk])
    response = client.post(url, {"status": "closed"}, follow=True)
    assert "Passage impossible" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED
    response = client.post(url, {"status": "open"}, follow=True)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.OPEN
    assert "Clôturer la séance" in response.content.decode()
    # Closing an open meeting goes through the closing page (what becomes of the undiscussed cases).
    assert client.post(url, {"status": "closed"})["Location"] == reverse("rcp:meeting_close", args=[meeting.pk])
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.OPEN
    client.post(reverse("rcp:meeting_close", args=[meeting.pk]), {"action": "close"})
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED
    assert "Rouvrir la séance" in client.get(reverse("rcp:meeting_detail", args=[meeting.pk])).content.decode()
    assert client.post(url, {"status": "n'importe quoi"}).status_code == 302


def test_cancel_refused_while_cases_are_registered(client, secretary, registration):
    client.force_login(secretary)
    response = client.post(reverse("rcp:meeting_status", args=[registration.meeting_id]), {"status": "cancelled"},
                           follow=True)
    assert "Reportez d'abord les dossiers inscrits" in text(response)


def test_status_change_refused_to_outsider(client, outsider, meeting):
    client.force_login(outsider)
    assert client.post(reverse("rcp:meeting_status", args=[meeting.pk]), {"status": "open"}).status_code == 403
    assert client.get(reverse("rcp:meeting_status", args=[meeting.pk])).status_code == 405


# --- attendance ---

@pytest.fixture
def three_members(board):
    return [f.add_member(board, specialty=s) for s in (f.ONCOLOGY, f.RADIOTHERAPY, f.PATHOLOGY)]


def toggle(client, meeting, practitioner, present: bool):
    data = {"action": "present", "practitioner": practitioner.pk}
    if present:
        data["present"] = "on"
    return client.post(reverse("rcp:attendance", args=[meeting.pk]), data, **HTMX)


def test_attendance_toggling_changes_the_quorum_shown(client, secretary, meeting, three_members):
    client.force_login(secretary)
    onco, radio, patho = three_members
    response = toggle(client, meeting, onco, True)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith(("{%", "<section"))  # the partial alone
    assert "<html" not in html
    assert "Quorum non atteint — 2 spécialités manquantes" in html and 'class="quorum-ko' in html
    toggle(client, meeting, radio, True)
    html = toggle(client, meeting, patho, True).content.decode()
    assert "Quorum atteint" in html and 'class="quorum-ok' in html
    assert "Anatomie et cytologie pathologiques" in html
    assert f'id="present-{meeting.pk}-{patho.pk}" checked' in html
    html = toggle(client, meeting, radio, False).content.decode()
    assert "Quorum non atteint — 1 spécialité manquante" in html
    assert Attendance.objects.filter(meeting=meeting).count() == 2


def test_guests_count_for_quorum_when_doctors_with_specialty(client, member_doctor, meeting, three_members):
    client.force_login(member_doctor)  # members keep the attendance sheet too
    url = reverse("rcp:attendance", args=[meeting.pk])
    toggle(client, meeting, three_members[0], True)
    toggle(client, meeting, three_members[1], True)
    html = client.post(url, {"action": "guest", "invite-guest_name": "Mme Infirmière", "invite-specialty": ""},
                       **HTMX).content.decode()
    assert "Mme Infirmière" in html and "non médecin" in html and "Quorum non atteint" in html
    html = client.post(url, {"action": "guest", "invite-guest_name": "Dr Invité", "invite-is_doctor": "on"},
                       **HTMX).content.decode()
    assert "Indiquez la spécialité du médecin invité" in html
    html = client.post(url, {"action": "guest", "invite-guest_name": "Dr Invité", "invite-is_doctor": "on",
                             "invite-specialty": f.SURGERY}, **HTMX).content.decode()
    assert "Quorum atteint" in html
    guest = Attendance.objects.get(meeting=meeting, guest_name="Dr Invité")
    html = client.post(url, {"action": "remove", "attendance": guest.pk}, **HTMX).content.decode()
    assert "Quorum non atteint" in html and not Attendance.objects.filter(pk=guest.pk).exists()


def test_directory_guest_by_rpps_or_hospital_list(client, secretary, board, meeting):
    hospital = f.OrganisationFactory()
    board.hospitals.add(hospital)
    local = f.PractitionerFactory(specialty=f.SURGERY)
    local.organisations.add(hospital)
    far = f.PractitionerFactory(specialty=f.RADIOLOGY)
    client.force_login(secretary)
    panel = client.get(reverse("rcp:attendance_panel", args=[meeting.pk])).content.decode()
    assert f'<option value="{local.pk}">' in panel and f'value="{far.pk}"' not in panel
    url = reverse("rcp:attendance", args=[meeting.pk])
    client.post(url, {"action": "directory", "annuaire-practitioner": local.pk}, **HTMX)
    client.post(url, {"action": "directory", "annuaire-rpps": far.rpps}, **HTMX)
    assert set(meeting.attendances.values_list("practitioner_id", flat=True)) == {local.pk, far.pk}
    response = client.post(url, {"action": "directory", "annuaire-rpps": "00000000000"}, **HTMX)
    assert "Aucun professionnel de l'annuaire n'a ce numéro RPPS." in text(response)
    html = client.post(url, {"action": "directory"}, **HTMX).content.decode()
    assert "Choisissez un professionnel" in html


def test_attendance_panel_alone_and_refusals(client, secretary, outsider, meeting, three_members):
    client.force_login(secretary)
    response = client.get(reverse("rcp:attendance_panel", args=[meeting.pk]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and "Quorum non atteint" in html
    for practitioner in three_members:
        assert f'for="present-{meeting.pk}-{practitioner.pk}"' in html
    # A periodic refresh keeps the guest being typed; the answer to an addition does not.
    assert f'id="attendance-forms-{meeting.pk}" hx-preserve="true"' in html
    answer = client.post(reverse("rcp:attendance", args=[meeting.pk]),
                         {"action": "guest", "invite-guest_name": "Dr X", "invite-specialty": f.SURGERY,
                          "invite-is_doctor": "on"}, **HTMX).content.decode()
    assert "Dr X" in answer and "hx-preserve" not in answer
    url = reverse("rcp:attendance", args=[meeting.pk])
    assert client.post(url, {"action": "present", "practitioner": "abc"}, **HTMX).status_code == 404
    assert client.post(url, {"action": "remove", "attendance": 424242}, **HTMX).status_code == 404
    assert "Action inconnue" in client.post(url, {"action": "dance"}, **HTMX).content.decode()
    # Without htmx: back to the meeting page.
    response = client.post(url, {"action": "present", "practitioner": three_members[0].pk, "present": "on"})
    assert response.status_code == 302 and response["Location"].endswith("#presences")
    client.force_login(outsider)
    assert client.get(reverse("rcp:attendance_panel", args=[meeting.pk])).status_code == 403
    assert toggle(client, meeting, three_members[0], True).status_code == 403


def test_attendance_of_a_cancelled_meeting_is_read_only(client, secretary, meeting, three_members):
    meeting.status = Meeting.Status.CANCELLED
    meeting.save()
    client.force_login(secretary)
    html = toggle(client, meeting, three_members[0], True).content.decode()
    assert "Séance annulée" in html
    assert not meeting.attendances.exists()


# --- order of the cases ---

def test_reorder_moves_a_case_and_returns_the_list(client, secretary, meeting):
    a, b, c = (f.RegistrationFactory(meeting=meeting, position=i) for i in (1, 2, 3))
    client.force_login(secretary)
    url = reverse("rcp:reorder", args=[meeting.pk])
    response = client.post(url, {"registration": c.pk, "direction": "up"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith('<div id="case-list"') and "<html" not in html
    assert html.index(c.patient.display_name) < html.index(b.patient.display_name)
    order = list(Registration.objects.filter(meeting=meeting).order_by("position").values_list("pk", flat=True))
    assert order == [a.pk, c.pk, b.pk]
    # Moving the first one up changes nothing; without htmx: redirect.
    response = client.post(url, {"registration": a.pk, "direction": "up"})
    assert response.status_code == 302
    response = client.post(url, {"registration": a.pk, "direction": "down"}, **HTMX)
    order = list(Registration.objects.filter(meeting=meeting).order_by("position").values_list("pk", flat=True))
    assert order == [c.pk, a.pk, b.pk]
    assert "Sens de déplacement inconnu" in client.post(url, {"registration": a.pk, "direction": "x"},
                                                        **HTMX).content.decode()


def test_reorder_refusals(client, secretary, member_doctor, meeting):
    a = f.RegistrationFactory(meeting=meeting)
    gone = f.RegistrationFactory(meeting=meeting, status=Registration.Status.WITHDRAWN)
    elsewhere = f.RegistrationFactory()
    url = reverse("rcp:reorder", args=[meeting.pk])
    client.force_login(member_doctor)  # a member is not staff: the order belongs to the secretariat
    assert client.post(url, {"registration": a.pk, "direction": "up"}, **HTMX).status_code == 403
    client.force_login(secretary)
    assert client.post(url, {"registration": gone.pk, "direction": "up"}, **HTMX).status_code == 404
    assert client.post(url, {"registration": elsewhere.pk, "direction": "up"}, **HTMX).status_code == 404
    assert client.post(url, {"registration": "", "direction": "up"}, **HTMX).status_code == 404


@pytest.mark.django_db
def test_meeting_status_returns_to_a_safe_next(client, meeting, coordinator):
    client.force_login(coordinator)
    back = f"/rcp/seances/{meeting.pk}/mode-rcp/1/"
    response = client.post(f"/rcp/seances/{meeting.pk}/statut/", {"status": "open", "next": back})
    assert response["Location"] == back
    meeting.refresh_from_db()
    assert meeting.status == "open"
    response = client.post(f"/rcp/seances/{meeting.pk}/statut/", {"status": "cancelled", "next": "https://evil.example/"})
    assert response["Location"] == f"/rcp/seances/{meeting.pk}/"
