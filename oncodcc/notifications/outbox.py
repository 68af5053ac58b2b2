"""Writing notifications: inside the transaction of the event they announce, idempotent on their key; the send
task is enqueued once that transaction commits (a rolled-back validation mails nobody) — one task per batch,
not one per email: callers queue their rows, then call `send_after_commit()` once."""

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
    return notification if created else None


def send_after_commit() -> None:
    transaction.on_commit(_enqueue_send, robust=True)


def _enqueue_send() -> None:
    from .tasks import enqueue_send  # the task module imports the worker: loaded only when a send is due

    enqueue_send()


@transaction.atomic
def requeue(notification: Notification) -> Notification:
    """Manual resend (`dcc notifications retry`): a notification in error or abandoned goes back to the queue with
    a fresh count of attempts (one being sent is left alone). The caller enqueues the send once for its batch."""
    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.state == Notification.State.SENDING:
        return notification
    notification.state = Notification.State.PENDING
    notification.attempts = 0
    notification.next_attempt_at = timezone.now()
    notification.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
    return notification
