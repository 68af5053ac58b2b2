"""The inactivity sweep, clock-controlled: one warning 30 days before (335 days of inactivity), deactivation at 365
days once warned, a recent sign-in spared, no second warning for the same period, the last administrators kept;
the command and the daily task."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from oncodcc.accounts import inactivity, tasks
from oncodcc.accounts.models import InactivityWarning, Role
from oncodcc.audit.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def t0():
    return timezone.now().replace(microsecond=0)


def unused_since(when, **kwargs):
    user = f.DoctorFactory(email="dr.durand@exemple.invalid", **kwargs)
    user.last_login = when
    user.save(update_fields=["last_login"])
    return user


def test_warning_at_335_days_then_deactivation_at_365(smtp, t0):
    user = unused_since(t0)
    assert inactivity.sweep(now=t0 + 334 * DAY).warned == []
    assert smtp.messages == []

    result = inactivity.sweep(now=t0 + 335 * DAY)
    assert result.warned == [user.pk]
    [mail] = smtp.messages
    message = mail.message()
    assert mail.rcpt_tos == ("dr.durand@exemple.invalid",)
    assert "sera désactivé" in message["Subject"]
    body = message.get_content()
    assert "Vous ne vous êtes pas connecté·e à OncoDCC depuis le" in body
    assert user.username in body
    warning = InactivityWarning.objects.get(user=user)
    assert warning.last_activity == t0 and warning.sent_at == t0 + 335 * DAY
    event = AuditEvent.objects.get(action="account.inactivity_warning", object_id=str(user.pk))
    assert event.actor_id is None and event.actor_label == "système"

    # The following days: no second warning, still active.
    for day in (336, 350, 364):
        result = inactivity.sweep(now=t0 + day * DAY)
        assert result.warned == [] and result.deactivated == []
    assert len(smtp.messages) == 1
    user.refresh_from_db()
    assert user.is_active

    result = inactivity.sweep(now=t0 + 365 * DAY)
    assert result.deactivated == [user.pk]
    user.refresh_from_db()
    assert not user.is_active
    event = AuditEvent.objects.get(action="account.deactivate", object_id=str(user.pk))
    assert event.actor_id is None and "365 jours" in event.reason
    # Idempotent: nothing more the next day.
    result = inactivity.sweep(now=t0 + 366 * DAY)
    assert (result.warned, result.deactivated) == ([], [])
    assert AuditEvent.objects.filter(action="account.deactivate").count() == 1


def test_recent_sign_in_is_spared_and_starts_a_new_period(smtp, t0):
    user = unused_since(t0)
    inactivity.sweep(now=t0 + 340 * DAY)
    assert len(smtp.messages) == 1
    # The user signs in after the warning: the old warning no longer counts.
    user.last_login = t0 + 350 * DAY
    user.save(update_fields=["last_login"])
    result = inactivity.sweep(now=t0 + 400 * DAY)
    assert (result.warned, result.deactivated) == ([], [])
    user.refresh_from_db()
    assert user.is_active
    # A new period of inactivity gets its own warning.
    result = inactivity.sweep(now=t0 + (350 + 335) * DAY)
    assert result.warned == [user.pk]
    assert len(smtp.messages) == 2


def test_reactivated_account_gets_a_new_warning_and_grace(smtp, t0):
    user = unused_since(t0)
    inactivity.sweep(now=t0 + 335 * DAY)
    inactivity.sweep(now=t0 + 365 * DAY)
    user.refresh_from_db()
    assert not user.is_active and not InactivityWarning.objects.exists()
    # An administrator reactivates the account; the user has not signed in yet.
    user.is_active = True
    user.save(update_fields=["is_active"])
    result = inactivity.sweep(now=t0 + 370 * DAY)
    assert result.warned == [user.pk] and result.deactivated == []
    assert inactivity.sweep(now=t0 + 399 * DAY).deactivated == []
    assert inactivity.sweep(now=t0 + 400 * DAY).deactivated == [user.pk]


def test_never_signed_in_counts_from_account_creation(smtp, t0):
    user = f.DoctorFactory(email="jamais@exemple.invalid")
    user.date_joined = t0
    user.save(update_fields=["date_joined"])
    assert inactivity.sweep(now=t0 + 335 * DAY).warned == [user.pk]


def test_long_unused_account_is_warned_first_and_keeps_its_30_days(smtp, t0):
    user = unused_since(t0)
    result = inactivity.sweep(now=t0 + 500 * DAY)
    assert result.warned == [user.pk] and result.deactivated == []
    assert "désactivé le" in smtp.messages[0].message()["Subject"]
    assert inactivity.sweep(now=t0 + 529 * DAY).deactivated == []
    assert inactivity.sweep(now=t0 + 530 * DAY).deactivated == [user.pk]


def test_smtp_refusal_leaves_no_warning_and_is_tried_again(smtp, t0):
    user = unused_since(t0)
    smtp.reply = "451 4.3.0 Réessayez plus tard"
    result = inactivity.sweep(now=t0 + 335 * DAY)
    assert result.failed == [user.pk] and result.warned == []
    assert not InactivityWarning.objects.exists()
    assert not AuditEvent.objects.filter(action="account.inactivity_warning").exists()
    smtp.reply = None
    assert inactivity.sweep(now=t0 + 336 * DAY).warned == [user.pk]


def test_last_administrators_are_never_deactivated(smtp, t0):
    dsrc = f.DsrcFactory()
    sysadmin = unused_since(t0, role=Role.SYSADMIN, practitioner=None)
    dsrc_admin = unused_since(t0, role=Role.ADMIN_DSRC, organisation=dsrc, practitioner=None)
    other_dsrc_admin = unused_since(t0, role=Role.ADMIN_DSRC, organisation=dsrc, practitioner=None)
    inactivity.sweep(now=t0 + 335 * DAY)
    result = inactivity.sweep(now=t0 + 365 * DAY)
    # One of the two DSRC administrators goes; the other, and the only system administrator, stay.
    assert result.deactivated == [dsrc_admin.pk]
    assert sorted(result.spared) == sorted([sysadmin.pk, other_dsrc_admin.pk])
    sysadmin.refresh_from_db()
    other_dsrc_admin.refresh_from_db()
    assert sysadmin.is_active and other_dsrc_admin.is_active


def test_dry_run_changes_nothing(smtp, t0, capsys):
    user = unused_since(timezone.now() - 400 * DAY)
    call_command("accounts_lifecycle", "--dry-run", "-v", "2")
    out = capsys.readouterr().out
    assert "Simulation" in out and "1 compte averti" in out and f"compte n° {user.pk} : averti" in out
    assert user.username not in out  # identities stay out of terminals
    assert smtp.messages == [] and not InactivityWarning.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="account.").exists()

    call_command("accounts_lifecycle")
    assert "1 compte averti ; 0 compte désactivé" in capsys.readouterr().out
    assert len(smtp.messages) == 1


def test_command_enqueues_one_daily_run(t0):
    call_command("accounts_lifecycle", "--enqueue")
    call_command("accounts_lifecycle", "--enqueue")
    assert DBTaskResult.objects.filter(task_path=tasks.accounts_lifecycle.module_path).count() == 1


def test_the_task_sweeps_and_schedules_the_next_night(smtp, t0):
    user = unused_since(timezone.now() - 340 * DAY)
    returned = tasks.accounts_lifecycle.call()
    assert returned["warned"] == 1
    assert InactivityWarning.objects.filter(user=user).exists()
    queued = DBTaskResult.objects.get(task_path=tasks.accounts_lifecycle.module_path, status="READY")
    local = timezone.localtime(queued.run_after)
    assert (local.hour, local.minute) == (3, 0)
    assert local.date() == timezone.localdate() + DAY
