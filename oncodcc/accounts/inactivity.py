"""Unused accounts: a warning email, then deactivation (issue 10).

An account's *last activity* is its last sign-in, or its creation when it never signed in. After
`DCC_ACCOUNT_INACTIVE_DAYS - WARNING_DAYS` days without activity the user gets one French warning email (recorded
in `InactivityWarning`, so the same period never gets two); the account is deactivated once it has been unused for
`DCC_ACCOUNT_INACTIVE_DAYS` days *and* its warning went out at least `WARNING_DAYS` days before — an account found
long unused (the first run after an upgrade, a worker stopped for weeks) is warned first and keeps its 30 days.
Signing in starts a new period: the old warning no longer counts.

Never deactivated by the sweep: the last active system administrator (superuser or SYSADMIN role), and the last
active DSRC administrator of each DSRC — without them nobody could reactivate accounts or run the region. They
are still warned; the sweep counts them as spared.

Run daily by the task worker (`tasks.accounts_lifecycle`) and by `dcc accounts-lifecycle [--dry-run]`. Idempotent:
a second run on the same day finds nothing to do. Each warning and deactivation is audited with the system as
actor; application logs name accounts by id only.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import DateTimeField, F, Q
from django.db.models.functions import Coalesce
from django.utils import formats, timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action

from . import lifecycle
from .models import InactivityWarning, Role, User

logger = logging.getLogger(__name__)

WARNING_DAYS = 30
DEACTIVATION_REASON = "Compte inutilisé depuis {days} jours (désactivation automatique)."


@dataclass
class SweepResult:
    warned: list[int] = field(default_factory=list)  # account ids
    deactivated: list[int] = field(default_factory=list)
    spared: list[int] = field(default_factory=list)  # due for deactivation, but the last administrator of their kind
    failed: list[int] = field(default_factory=list)  # the warning email could not be sent (tried again next run)


def inactive_days() -> int:
    return settings.DCC_ACCOUNT_INACTIVE_DAYS


def last_activity(user) -> datetime:
    return user.last_login or user.date_joined


def _with_activity():
    return User.objects.filter(is_active=True).annotate(
        activity=Coalesce(F("last_login"), F("date_joined"), output_field=DateTimeField()))


def warning_due(now: datetime):
    """Active accounts unused since the start of the warning window."""
    return _with_activity().filter(activity__lte=now - timedelta(days=inactive_days() - WARNING_DAYS))


def _warned_for_this_period(user, warnings: dict[int, InactivityWarning]) -> InactivityWarning | None:
    warning = warnings.get(user.pk)
    return warning if warning is not None and warning.last_activity == last_activity(user) else None


def is_last_administrator(user, *, leaving=()) -> bool:
    """The last active account that administers the system, or the last active administrator of its DSRC
    (`leaving`: accounts a dry run would already have deactivated)."""
    others = User.objects.filter(is_active=True).exclude(pk=user.pk).exclude(pk__in=list(leaving))
    system = user.is_superuser or user.role == Role.SYSADMIN
    if system and not others.filter(Q(is_superuser=True) | Q(role=Role.SYSADMIN)).exists():
        return True
    return user.role == Role.ADMIN_DSRC and not others.filter(
        role=Role.ADMIN_DSRC, organisation_id=user.organisation_id).exists()


def deactivation_date(warning_sent_at: datetime, activity: datetime) -> datetime:
    """When the account is deactivated if nobody signs in: the later of the end of the period and the end of the
    warning's grace."""
    return max(activity + timedelta(days=inactive_days()), warning_sent_at + timedelta(days=WARNING_DAYS))


def _send_warning(user, *, activity: datetime, deadline: datetime) -> None:
    last = formats.date_format(timezone.localtime(activity), "j F Y")
    until = formats.date_format(timezone.localtime(deadline), "j F Y")
    name = user.get_full_name() or user.username
    body = (
        f"Bonjour {name},\n\n"
        f"Vous ne vous êtes pas connecté·e à OncoDCC depuis le {last}. Les comptes inutilisés depuis "
        f"{inactive_days()} jours sont désactivés, pour protéger les données des patients.\n\n"
        f"Sans connexion de votre part, votre compte « {user.username} » sera désactivé le {until}. "
        "Pour le conserver, il suffit de vous connecter à OncoDCC d'ici là.\n\n"
        "Si votre compte a déjà été désactivé, adressez-vous à votre 3C pour le faire réactiver.\n\n"
        "— OncoDCC (message automatique, merci de ne pas y répondre)"
    )
    send_mail(f"OncoDCC : votre compte sera désactivé le {until}", body, None, [user.email])


def _warn(user, *, now: datetime, result: SweepResult) -> None:
    activity = last_activity(user)
    deadline = deactivation_date(now, activity)
    has_email = bool(user.email)
    if has_email:
        try:
            _send_warning(user, activity=activity, deadline=deadline)
        except (OSError, ValueError):  # SMTP refused or unreachable: tried again at the next run
            logger.warning("Inactivity warning not sent to account %s", user.pk, exc_info=True)
            result.failed.append(user.pk)
            return
    with transaction.atomic():
        InactivityWarning.objects.update_or_create(
            user=user, defaults={"last_activity": activity, "sent_at": now})
        audit.record(actor=None, action=Action.ACCOUNT_INACTIVITY_WARNING, obj=user,
                     details={"username": user.username, "last_activity": activity.isoformat(),
                              "deactivation_on": deadline.isoformat(), "email_sent": has_email})
    result.warned.append(user.pk)


def sweep(*, now: datetime | None = None, dry_run: bool = False) -> SweepResult:
    """Warn the accounts entering the warning window, deactivate those past it. `dry_run`: only say who."""
    now = now or timezone.now()
    result = SweepResult()
    due = list(warning_due(now).order_by("pk"))
    warnings = InactivityWarning.objects.in_bulk([u.pk for u in due])
    limit = now - timedelta(days=inactive_days())
    for user in due:
        warning = _warned_for_this_period(user, warnings)
        if warning is None:
            if dry_run:
                result.warned.append(user.pk)
            else:
                _warn(user, now=now, result=result)
            continue
        if last_activity(user) > limit or warning.sent_at > now - timedelta(days=WARNING_DAYS):
            continue  # warned, still within the period or the grace
        if is_last_administrator(user, leaving=result.deactivated if dry_run else ()):
            result.spared.append(user.pk)
            continue
        reason = DEACTIVATION_REASON.format(days=inactive_days())
        if dry_run or lifecycle.deactivate(user, actor=None, reason=reason):
            result.deactivated.append(user.pk)
    return result
