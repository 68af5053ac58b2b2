"""Writing notifications: inside the transaction of the event they announce, idempotent on their key; the send
task is enqueued once that transaction commits (a rolled-back validation mails nobody)."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from .models import Notification


@dataclass(frozen=True)
class Recipient:
    address: str
    user_id: int | None = None
    practitioner_id: int | None = None


def queue(*, kind: str, key: str, recipient: Recipient, subject: str, body: str, meeting_id: int | None = None,
          fiche_id: int | None = None) -> Notification | None:
    """Write one notification unless its key exists already; returns it, or None when it was already queued.
    Call inside the caller's transaction."""
    notification, created = Notification.objects.get_or_create(key=key, defaults={
        "kind": kind, "to_address": recipient.address, "user_id": recipient.user_id,
        "practitioner_id": recipient.practitioner_id, "subject": subject, "body": body,
        "meeting_id": meeting_id, "fiche_id": fiche_id, "next_attempt_at": timezone.now(),
    })
    if not created:
        return None
    transaction.on_commit(_enqueue_send_once, robust=True)
    return notification


def _enqueue_send_once() -> None:
    from .tasks import enqueue_send

    enqueue_send()
