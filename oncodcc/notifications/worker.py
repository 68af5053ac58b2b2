"""The send loop of the notification outbox (run by the task worker).

- Due: pending, or in error with its retry time passed. Claimed in a short transaction (`sending`, attempts + 1;
  SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so two workers never take the same row); the relay is called
  outside any transaction; the outcome is written only if the row is still ours.
- A transient failure (relay down, 4xx) is retried after an exponential backoff, abandoned after
  DCC_NOTIFICATION_MAX_ATTEMPTS; a permanent refusal (5xx) is abandoned at once.
- A row left `sending` by a killed worker is taken back after DCC_NOTIFICATION_SENDING_TIMEOUT_SECONDS (the
  message may then arrive twice: better than never).
Logs name the notification's id, never its address (house rule: no identities in the application logs)."""

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import mail
from .models import Notification

logger = logging.getLogger(__name__)
OPEN_STATES = (Notification.State.PENDING, Notification.State.ERROR)


def backoff(attempts: int) -> timedelta:
    base = settings.DCC_NOTIFICATION_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), settings.DCC_NOTIFICATION_RETRY_CAP_SECONDS))


def due(now=None):
    now = now or timezone.now()
    return Notification.objects.filter(state__in=OPEN_STATES, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "pk")


def _claim(now) -> Notification | None:
    with transaction.atomic():
        candidates = due(now)
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        notification = candidates.first()
        if notification is None:
            return None
        notification.state = Notification.State.SENDING
        notification.attempts += 1
        notification.claimed_at = now
        notification.save(update_fields=["state", "attempts", "claimed_at", "updated_at"])
        return notification


def _finish(notification: Notification, outcome: mail.Outcome) -> str:
    now = timezone.now()
    fields = {"claimed_at": None, "updated_at": now, "last_error": outcome.detail[:500]}
    if outcome.state == "sent":
        fields.update(state=Notification.State.SENT, sent_at=now, next_attempt_at=None)
    elif outcome.state == "retry" and notification.attempts < settings.DCC_NOTIFICATION_MAX_ATTEMPTS:
        fields.update(state=Notification.State.ERROR, next_attempt_at=now + backoff(notification.attempts))
    else:
        fields.update(state=Notification.State.DEAD, next_attempt_at=None)
    mine = Notification.objects.filter(pk=notification.pk, state=Notification.State.SENDING,
                                       claimed_at=notification.claimed_at).update(**fields)
    return fields["state"] if mine else "lost"


def send_one(notification: Notification) -> str:
    try:
        outcome = mail.send(to=notification.to_address, subject=notification.subject, body=notification.body)
    except Exception as exc:  # a bug must not leave the row `sending` for ever: recorded and retried
        logger.exception("notifications: envoi %s impossible", notification.pk)
        outcome = mail.Outcome("retry", f"Erreur interne lors de l'envoi ({exc.__class__.__name__}).")
    state = _finish(notification, outcome)
    logger.info("notifications: envoi %s → %s", notification.pk, state)
    return state


def reclaim_stuck(now=None) -> int:
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.DCC_NOTIFICATION_SENDING_TIMEOUT_SECONDS)
    return Notification.objects.filter(state=Notification.State.SENDING).filter(
        Q(claimed_at__lt=limit) | Q(claimed_at__isnull=True)).update(
        state=Notification.State.ERROR, next_attempt_at=now, claimed_at=None,
        last_error="Envoi interrompu (processus d'envoi arrêté) : nouvel essai.")


def send_due(*, now=None) -> Counter:
    """Send every due notification. Returns the count per resulting state."""
    reclaim_stuck(now)
    counts: Counter = Counter()
    while True:
        notification = _claim(now or timezone.now())
        if notification is None:
            return counts
        counts[send_one(notification)] += 1


def next_due_at(now=None):
    now = now or timezone.now()
    return (Notification.objects.filter(state__in=OPEN_STATES, next_attempt_at__gt=now)
            .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first())
