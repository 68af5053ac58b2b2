"""Meeting reminders: N days before a meeting, each permanent member gets one email (once), with the case list
masked (initials and year of birth) when their account may see the cases, through a real SMTP server."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.notifications import reminders, tasks, worker
from oncodcc.notifications.models import Notification
from oncodcc.rcp.models import Meeting
from tests import factories as f

from .conftest import texts

pytestmark = pytest.mark.django_db
TASK = "oncodcc.notifications.tasks.send_meeting_reminders"


@pytest.fixture
def members(board, coordinator, member_doctor):
    """Two members with an account, one known only to the directory, one without any address."""
    board.video_url = "https://visio.example.invalid/rcp-sein"
    board.save()
    coordinator.email, member_doctor.email = "coordo@chu-demo.invalid", "onco@chu-demo.invalid"
    coordinator.save()
    member_doctor.save()
    f.add_member(board, f.PractitionerFactory(email="radiotherapeute@clinique-demo.invalid"))
    f.add_member(board, f.PractitionerFactory(email=""))
    return board


@pytest.fixture
def soon(members, member_doctor):
    """A meeting in two days with two cases: a first presentation (a woman) and a case already discussed (a man)."""
    meeting = f.MeetingFactory(board=members, starts_at=timezone.now() + timedelta(days=2))
    woman = f.PatientFactory(birth_name="Quenehervé", first_birth_given_name="Yolande", sex="F",
                             birth_date=timezone.localdate().replace(year=1958, month=3, day=4))
    man = f.PatientFactory(birth_name="Wackernagel", first_birth_given_name="Octave", sex="M",
                           birth_given_names="Octave", birth_date=timezone.localdate().replace(year=1949, month=5, day=6))
    for position, patient in enumerate((woman, man), start=1):
        f.RegistrationFactory(meeting=meeting, patient=patient, position=position,
                              requesting_doctor=member_doctor.practitioner, presenting_doctor=member_doctor.practitioner)
    earlier = f.RegistrationFactory(meeting=f.MeetingFactory(board=members, starts_at=f.past(30)), patient=man)
    f.mark_validated(f.complete_fiche(earlier, created_by=member_doctor), by=member_doctor)
    return meeting


def test_each_member_is_reminded_once_with_the_cases_masked(mail_settings, relay, soon):
    later = f.MeetingFactory(board=soon.board, starts_at=timezone.now() + timedelta(days=5))
    f.MeetingFactory(board=soon.board, starts_at=timezone.now() + timedelta(days=1), status=Meeting.Status.CANCELLED)

    created = reminders.queue_due()
    assert len(created) == 3  # the member without any address gets nothing
    assert {n.meeting_id for n in created} == {soon.pk}  # neither the later nor the cancelled meeting
    assert worker.send_due() == {"sent": 3}
    received = {rcpt[0]: (subject, body) for rcpt, subject, body in texts(relay)}
    assert set(received) == {"coordo@chu-demo.invalid", "onco@chu-demo.invalid",
                             "radiotherapeute@clinique-demo.invalid"}
    subject, body = received["onco@chu-demo.invalid"]
    assert subject.startswith(f"Rappel : {soon.board.name}, séance du ")
    local = soon.local_start
    assert f"{local.day} " in subject and str(local.year) in subject
    assert f"Rappel de la prochaine séance : {soon.board.name}" in body
    assert f"à {local.hour} h {local.minute:02d} (heure de Paris)" in body
    assert "https://visio.example.invalid/rcp-sein" in body and "Salle de staff, bâtiment B" in body
    assert "2 dossiers sont inscrits à cette séance" in body
    assert "1. Y. Q., née en 1958 — première présentation" in body
    assert "2. O. W., né en 1949 — dossier déjà présenté en RCP" in body
    assert f"https://dcc.example.invalid/rcp/seances/{soon.pk}/" in body
    for _, text in received.values():
        for secret in ("Quenehervé", "QUENEHERVÉ", "Yolande", "Wackernagel", "Octave", "04/03/1958", "Traitement"):
            assert secret not in text
    # Without an account, nobody's policy says the cases may be listed: the number only.
    _, directory_only = received["radiotherapeute@clinique-demo.invalid"]
    assert "2 dossiers sont inscrits à cette séance." in directory_only and "Y. Q." not in directory_only
    # Each patient listed has the reminder in their access history; once per meeting.
    events = AuditEvent.objects.filter(action=Action.NOTIFICATION_MEETING_REMINDER)
    assert sorted(events.values_list("patient_id", flat=True)) == sorted(
        soon.registrations.values_list("patient_id", flat=True))
    assert all(e.details["recipients"] == 2 for e in events)

    # Once only: a second run (the next day's task, a manual run) writes and sends nothing more.
    assert reminders.queue_due() == []
    assert worker.send_due() == {}
    assert len(relay.messages) == 3 and events.count() == 2
    assert not Notification.objects.filter(meeting_id=later.pk).exists()


def test_the_number_of_days_is_a_setting(mail_settings, soon):
    later = f.MeetingFactory(board=soon.board, starts_at=timezone.now() + timedelta(days=5))
    mail_settings.DCC_MEETING_REMINDER_DAYS = 6
    reminders.queue_due()
    assert Notification.objects.filter(meeting_id=later.pk).count() == 3
    body = Notification.objects.filter(meeting_id=later.pk).first().body
    assert "Aucun dossier n'est inscrit pour l'instant." in body


def test_a_started_meeting_is_not_reminded(mail_settings, soon):
    soon.starts_at = timezone.now() - timedelta(minutes=5)
    soon.save()
    assert reminders.queue_due() == []


def test_a_member_refused_the_cases_gets_no_list(mail_settings, soon, member_doctor):
    member_doctor.is_active = False  # an inactive account: the policy refuses everything
    member_doctor.save()
    member_doctor.practitioner.email = "onco.annuaire@mssante.invalid"
    member_doctor.practitioner.save()
    reminders.queue_due()
    body = Notification.objects.get(to_address="onco.annuaire@mssante.invalid").body
    assert "2 dossiers sont inscrits à cette séance." in body and "Y. Q." not in body


def test_dry_run_lists_without_writing(mail_settings, soon, capsys):
    call_command("notifications", "send-reminders", "--dry-run")
    out = capsys.readouterr().out
    assert f"{soon.board.name} — " in out and "3 rappel(s), dont 2 avec la liste des dossiers" in out
    assert "3 rappel(s) à envoyer (simulation" in out
    assert "@" not in out
    assert not Notification.objects.exists() and not AuditEvent.objects.filter(
        action=Action.NOTIFICATION_MEETING_REMINDER).exists()


def test_the_command_queues_and_sends(mail_settings, relay, soon, capsys):
    call_command("notifications", "send-reminders")
    assert "3 rappel(s) mis en file ; envoyés : 3" in capsys.readouterr().out
    assert len(relay.messages) == 3
    call_command("notifications", "send-reminders")
    assert "0 rappel(s) mis en file" in capsys.readouterr().out


def test_the_worker_runs_the_reminders_daily_without_doubling_the_chain(mail_settings, soon):
    assert tasks.schedule_reminders() is True
    assert tasks.schedule_reminders() is False  # already waiting: the worker's restarts add nothing
    DBTaskResult.objects.filter(task_path=TASK).delete()

    assert tasks.send_meeting_reminders.call() == 3
    waiting = DBTaskResult.objects.get(task_path=TASK, status="READY")
    assert waiting.run_after == tasks.next_reminder_run()
    assert waiting.run_after > timezone.now()
    assert tasks.send_meeting_reminders.call() == 0  # idempotent; still one run waiting
    assert DBTaskResult.objects.filter(task_path=TASK, status="READY").count() == 1


def test_an_account_without_email_is_reminded_at_the_directory_address_with_its_rights(mail_settings, soon,
                                                                                       member_doctor):
    member_doctor.email = ""
    member_doctor.save()
    member_doctor.practitioner.email = "onco.annuaire@mssante.invalid"
    member_doctor.practitioner.save()
    reminders.queue_due()
    notification = Notification.objects.get(to_address="onco.annuaire@mssante.invalid")
    assert notification.user_id == member_doctor.pk and "1. Y. Q., née en 1958" in notification.body
