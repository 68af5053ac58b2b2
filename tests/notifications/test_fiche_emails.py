"""A validated fiche mails the requesting doctor, the presenting doctor and the GP through the outbox: written in
the validation's transaction, sent by the worker through a real SMTP server, retried, never twice."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.notifications import fiche_validated, worker
from oncodcc.notifications.models import Notification
from oncodcc.rcp.services import fiches
from tests import factories as f

from .conftest import closed_port, texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(board, coordinator, member_doctor, held_meeting):
    """A case whose requesting doctor (an account) is not its presenting doctor (directory only), with a GP."""
    member_doctor.email = "dr.demandeur@chu-demo.invalid"
    member_doctor.save()
    presenter = f.PractitionerFactory(email="presentateur@clinique-demo.invalid")
    gp = f.PractitionerFactory(specialty="SM54", email="generaliste@cabinet-demo.invalid")
    patient = f.PatientFactory(gp=gp, birth_name="Zabrowski", first_birth_given_name="Ermengarde")
    registration = f.RegistrationFactory(meeting=held_meeting, patient=patient,
                                         requesting_doctor=member_doctor.practitioner, presenting_doctor=presenter)
    return f.complete_fiche(registration, created_by=coordinator)


def validate(fiche, actor):
    return fiches.validate(actor=actor, fiche=fiche, expected_version=fiche.lock_version)


def test_validation_queues_one_email_per_doctor_and_the_worker_sends_them(mail_settings, relay, case, coordinator,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        validate(case, coordinator)

    rows = Notification.objects.order_by("to_address")
    assert [n.to_address for n in rows] == ["dr.demandeur@chu-demo.invalid", "generaliste@cabinet-demo.invalid",
                                            "presentateur@clinique-demo.invalid"]
    assert {n.state for n in rows} == {Notification.State.PENDING}
    # The send is handed to the task worker once the validation commits.
    assert DBTaskResult.objects.filter(task_path="oncodcc.notifications.tasks.send_notifications").count() == 1

    assert worker.send_due() == {"sent": 3}
    received = texts(relay)
    assert sorted(rcpt for rcpt, _, _ in received) == [(n.to_address,) for n in rows]
    link = f"https://dcc.example.invalid/rcp/fiches/{case.pk}/"
    for _, subject, body in received:
        assert subject == "OncoDCC : une fiche RCP a été validée pour un de vos patients"
        assert "Une fiche RCP a été validée pour un de vos patients" in body
        assert link in body
        # Neither the patient's identity nor anything clinical, nor even the board (its name tells the organ).
        for secret in ("Zabrowski", "ZABROWSKI", "Ermengarde", str(case.patient.birth_date.year), "Sein",
                       "Carcinome", "adjuvant", case.registration.question):
            assert secret not in body and secret not in subject
    gp_body = next(body for rcpt, _, body in received if rcpt == ("generaliste@cabinet-demo.invalid",))
    assert "médecin traitant" in gp_body
    assert set(Notification.objects.values_list("state", flat=True)) == {Notification.State.SENT}
    event = AuditEvent.objects.get(action=Action.NOTIFICATION_FICHE_VALIDATED)
    assert event.patient_id == case.patient_id and event.details["emails"] == 3
    assert "@" not in str(event.details)


def test_a_doctor_with_an_account_is_written_to_at_the_account_address(mail_settings, case, coordinator,
                                                                      member_doctor):
    member_doctor.practitioner.email = "annuaire@mssante.invalid"
    member_doctor.practitioner.save()
    validate(case, coordinator)
    assert not Notification.objects.filter(to_address="annuaire@mssante.invalid").exists()
    assert Notification.objects.filter(to_address="dr.demandeur@chu-demo.invalid", user_id=member_doctor.pk).exists()


def test_one_email_per_address_and_never_twice(mail_settings, case, coordinator):
    registration = case.registration
    registration.presenting_doctor = registration.requesting_doctor
    registration.save()
    validate(case, coordinator)
    assert Notification.objects.count() == 2
    mine = Notification.objects.get(to_address="dr.demandeur@chu-demo.invalid")
    assert "médecin demandeur, médecin présentateur" in mine.body
    # Queuing the same validated fiche again writes nothing more (idempotent on fiche and address).
    assert fiche_validated.queue_for(case, actor=coordinator) == []
    assert Notification.objects.count() == 2
    assert AuditEvent.objects.filter(action=Action.NOTIFICATION_FICHE_VALIDATED).count() == 1


def test_a_refused_validation_mails_nobody(mail_settings, case, coordinator):
    case.case_summary = ""
    case.save()
    with pytest.raises(fiches.FicheValidationError):
        validate(case, coordinator)
    assert not Notification.objects.exists()


def test_a_correction_announces_a_new_version(mail_settings, case, coordinator):
    validate(case, coordinator)
    correction = fiches.correct(actor=coordinator, fiche=case, reason="Erreur de latéralité")
    validate(correction, coordinator)
    bodies = list(Notification.objects.filter(fiche_id=correction.pk).values_list("body", flat=True))
    assert len(bodies) == 3 and all("Une nouvelle version d'une fiche RCP a été validée" in b for b in bodies)


def test_a_relay_failure_is_retried_with_backoff_then_sent(mail_settings, relay, case, coordinator):
    validate(case, coordinator)
    relay.reply = "451 4.3.0 Réessayez plus tard"
    assert worker.send_due() == {"error": 3}
    first = Notification.objects.first()
    assert first.attempts == 1 and first.next_attempt_at > timezone.now() and "451" in first.last_error
    assert worker.send_due() == {}  # nothing is due before the backoff
    relay.reply = None
    assert worker.send_due(now=timezone.now() + timedelta(minutes=2)) == {"sent": 3}
    assert len(relay.messages) == 3
    assert worker.send_due(now=timezone.now() + timedelta(days=1)) == {}  # sent once


def test_an_unreachable_relay_is_retried_and_abandoned_after_the_last_attempt(mail_settings, case, coordinator):
    mail_settings.DCC_EMAIL_PORT = closed_port()
    mail_settings.DCC_NOTIFICATION_MAX_ATTEMPTS = 2
    validate(case, coordinator)
    assert worker.send_due() == {"error": 3}
    assert worker.send_due(now=timezone.now() + timedelta(hours=1)) == {"dead": 3}
    assert "injoignable" in Notification.objects.first().last_error


def test_a_permanent_refusal_is_not_retried(mail_settings, relay, case, coordinator):
    validate(case, coordinator)
    relay.reply = "554 5.7.1 Refusé"
    assert worker.send_due() == {"dead": 3}
    assert Notification.objects.filter(state=Notification.State.DEAD, attempts=1).count() == 3


def test_a_row_left_sending_by_a_killed_worker_is_sent_again(mail_settings, relay, case, coordinator):
    validate(case, coordinator)
    Notification.objects.update(state=Notification.State.SENDING, claimed_at=timezone.now() - timedelta(hours=1),
                                attempts=1)
    assert worker.send_due() == {"sent": 3}
    assert len(relay.messages) == 3


def test_abandoned_emails_are_put_back_in_the_queue_by_hand(mail_settings, relay, case, coordinator, capsys):
    validate(case, coordinator)
    relay.reply = "554 5.7.1 Refusé"
    worker.send_due()
    relay.reply = None
    with pytest.raises(CommandError):
        call_command("notifications", "retry")
    with pytest.raises(CommandError, match="introuvable"):
        call_command("notifications", "retry", "999999")
    call_command("notifications", "retry", "--all-errors")
    assert "3 notification(s) remise(s) en file." in capsys.readouterr().out
    assert set(Notification.objects.values_list("state", "attempts")) == {(Notification.State.PENDING, 0)}
    call_command("notifications", "send")
    assert "Envoyés : 3" in capsys.readouterr().out and len(relay.messages) == 3
    call_command("notifications", "list")
    listing = capsys.readouterr().out
    assert listing.count("fiche RCP validée\tenvoyé") == 3 and "@" not in listing


def test_the_admin_shows_the_outbox_read_only_to_the_dsrc(client, mail_settings, case, coordinator):
    validate(case, coordinator)
    notification = Notification.objects.first()
    admin_dsrc = f.UserFactory(role="admin_dsrc", is_staff=True, organisation=f.DsrcFactory())
    client.force_login(admin_dsrc)
    listing = client.get("/admin/notifications/notification/")
    assert listing.status_code == 200 and notification.to_address in listing.content.decode()
    page = client.get(f"/admin/notifications/notification/{notification.pk}/change/").content.decode()
    assert "un de vos patients" in page and "connectez-vous" not in page  # the subject, never the body
    client.force_login(f.UserFactory(role="admin_3c", is_staff=True, organisation=case.registration.meeting.board
                                     .managing_3c))
    assert client.get("/admin/notifications/notification/").status_code == 403
