"""Writing deliveries: in the transaction that registers a document (documents.hooks), and on demand
(`dcc documents send`, *Renvoyer*).

Idempotent: one delivery per (document version, recipient, action) — the same call twice writes nothing more.
Ordered: each delivery gets the next sequence number of its (recipient, document set); the worker never sends one
before the earlier ones of the same recipient and set are delivered. A replacement to a recipient that never had
the set is sent as a new document; a deletion to a recipient that never had it is not sent at all."""

import logging

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from oncodcc.documents.models import Document

from . import recipients as rules
from .models import Delivery

logger = logging.getLogger(__name__)


def _effective_action(recipient: rules.Recipient, document: Document, action: str) -> str | None:
    sent = Delivery.objects.filter(recipient_key=recipient.key, set_id=document.set_id)
    if action == Delivery.Action.REPLACE and not sent.exclude(document=document).exists():
        return Delivery.Action.NEW
    # A withdrawn version (the current one, or an earlier one of the set) is cancelled where something was sent.
    if action == Delivery.Action.DELETE and not sent.exclude(action=Delivery.Action.DELETE).exists():
        return None
    return action


def _create(document: Document, recipient: rules.Recipient, action: str) -> Delivery | None:
    effective = _effective_action(recipient, document, action)
    if effective is None:
        return None
    existing = Delivery.objects.filter(document=document, recipient_key=recipient.key, action=effective).first()
    if existing is not None:
        return None
    last = Delivery.objects.filter(recipient_key=recipient.key, set_id=document.set_id).aggregate(
        n=Max("sequence"))["n"] or 0
    return Delivery.objects.create(
        document=document, set_id=document.set_id, channel=recipient.channel, recipient_key=recipient.key,
        recipient_label=recipient.label[:300], receiver=recipient.receiver, mssante_address=recipient.address,
        mssante_sender=recipient.sender, action=effective, sequence=last + 1, next_attempt_at=timezone.now(),
    )


def queue(document: Document, action: str, *, recipients: list[rules.Recipient] | None = None) -> list[Delivery]:
    """Write the deliveries of this document version (to the rules' recipients, or to those given). Call inside
    the caller's transaction; returns the deliveries created."""
    if recipients is not None:
        found = recipients
    elif action == Delivery.Action.DELETE:
        found = rules.earlier_recipients(document)
    else:
        found = rules.recipients_for(document)
    created = [d for d in (_create(document, r, action) for r in found) if d is not None]
    if created:
        logger.info("diffusion: %d envoi(s) en file pour le document %s", len(created), document.pk)
    return created


def on_registered(document: Document, action: str) -> None:
    """documents.hooks callback: inside the registration's transaction. A new version is sent once its CDA is
    rendered (on_rendered); a withdrawal carries the CDA already stored, so it is sent as soon as it commits."""
    created = queue(document, action)
    if created and action == Delivery.Action.DELETE:
        from .tasks import enqueue_send

        transaction.on_commit(enqueue_send)


def on_rendered(document_id: int) -> None:
    """documents.hooks callback (worker): the CDA may be ready now, so deliveries of this document can go."""
    if Delivery.objects.filter(document_id=document_id, state=Delivery.State.PENDING).exists():
        from .tasks import enqueue_send

        enqueue_send()


@transaction.atomic
def requeue(delivery: Delivery) -> Delivery:
    """Manual resend (*Renvoyer*, `dcc outbox retry`): a delivery in error or abandoned goes back to the queue
    with a fresh count of attempts. A delivered one is sent again (the receiver answers a duplicate AA)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.state == Delivery.State.SENDING:
        return delivery
    delivery.state = Delivery.State.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.claimed_at = None
    delivery.save(update_fields=["state", "attempts", "next_attempt_at", "claimed_at", "updated_at"])
    return delivery


@transaction.atomic
def queue_existing(document: Document, *, organisation=None) -> tuple[list[Delivery], list[Delivery]]:
    """`dcc documents send`: the deliveries of a document that already exists, through the same rules (to one
    hospital's DPI only with `organisation`). A delivery that already exists is put back in the queue.
    Returns (created, requeued)."""
    if organisation is not None:
        if not rules.has_cda(document):
            return [], []
        found = rules.dpi_recipients(document, organisation_ids=[organisation.pk])
    else:
        found = rules.recipients_for(document)
    action = Delivery.Action.NEW
    if document.status == Document.Status.DELETED:
        action = Delivery.Action.DELETE
    elif document.version_number > 1:
        action = Delivery.Action.REPLACE
    created = queue(document, action, recipients=found)
    created_keys = {d.recipient_key for d in created}
    requeued = []
    for recipient in found:
        if recipient.key in created_keys:
            continue
        existing = Delivery.objects.filter(document=document, recipient_key=recipient.key).order_by(
            "-sequence").first()
        if existing is not None and existing.state != Delivery.State.SENDING:
            requeued.append(requeue(existing))
    return created, requeued
