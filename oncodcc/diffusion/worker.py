"""The send loop (run by the task worker): claim one due delivery, send it through its channel, record the attempt.

- Due: pending, or in error with its retry time passed; its document's CDA rendered; no earlier delivery of the
  same (recipient, document set) still undelivered — a replacement never overtakes its original.
- Claimed in its own short transaction (`sending`, attempts + 1): on PostgreSQL with SELECT … FOR UPDATE SKIP
  LOCKED, so two workers never take the same row; SQLite transactions are serial. The channel is called outside
  any transaction; the outcome is written only if the row is still ours.
- Outcome: delivered; retry (transient) → error with the next try after an exponential backoff, or dead after
  DCC_DIFFUSION_MAX_ATTEMPTS; error (refused) → error without retry, until a manual resend.
- A row left `sending` by a killed worker is taken back after DCC_DIFFUSION_SENDING_TIMEOUT_SECONDS."""

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from oncodcc.documents.models import Rendering

from . import dispatch, outgoing
from .channels import Outcome
from .models import Delivery, DeliveryAttempt

logger = logging.getLogger(__name__)
OPEN_STATES = (Delivery.State.PENDING, Delivery.State.ERROR)


def backoff(attempts: int) -> timedelta:
    base = settings.DCC_DIFFUSION_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), settings.DCC_DIFFUSION_RETRY_CAP_SECONDS))


def due(now=None):
    """The deliveries that may be sent now, in order."""
    now = now or timezone.now()
    cda_ready = Rendering.objects.filter(document_id=OuterRef("document_id"), format=Rendering.Format.CDA,
                                         state=Rendering.State.READY)
    earlier_open = Delivery.objects.filter(recipient_key=OuterRef("recipient_key"), set_id=OuterRef("set_id"),
                                           sequence__lt=OuterRef("sequence")).exclude(state=Delivery.State.DELIVERED)
    return (Delivery.objects.filter(state__in=OPEN_STATES, next_attempt_at__isnull=False, next_attempt_at__lte=now)
            .filter(Exists(cda_ready)).exclude(Exists(earlier_open)).order_by("next_attempt_at", "pk"))


def _claim(now) -> Delivery | None:
    with transaction.atomic():
        candidates = due(now)
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        delivery = candidates.first()
        if delivery is None:
            return None
        delivery.state = Delivery.State.SENDING
        delivery.attempts += 1
        delivery.claimed_at = now
        delivery.save(update_fields=["state", "attempts", "claimed_at", "updated_at"])
        return delivery


def _finish(delivery: Delivery, outcome: Outcome, started, *, interrupted: bool = False) -> str:
    now = timezone.now()
    detail = (outcome.detail or "")[:500]
    fields = {"claimed_at": None, "updated_at": now}
    if outcome.state == "delivered":
        fields.update(state=Delivery.State.DELIVERED, delivered_at=now, last_error="", next_attempt_at=None)
    elif outcome.state == "retry" and delivery.attempts >= settings.DCC_DIFFUSION_MAX_ATTEMPTS:
        fields.update(state=Delivery.State.DEAD, next_attempt_at=None,
                      last_error=f"Abandonné après {delivery.attempts} essais : {detail}"[:500])
    elif outcome.state == "retry":
        # An interrupted send (its worker died) is not the receiver's failure: tried again at once.
        retry_at = now if interrupted else now + backoff(delivery.attempts)
        fields.update(state=Delivery.State.ERROR, next_attempt_at=retry_at, last_error=detail)
    else:
        fields.update(state=Delivery.State.ERROR, next_attempt_at=None, last_error=detail)
    attempt_outcome = DeliveryAttempt.Outcome.INTERRUPTED if interrupted else outcome.state
    with transaction.atomic():
        # Only if the row is still ours: a worker taken for dead and reclaimed writes nothing over the new claim.
        mine = Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING,
                                       claimed_at=delivery.claimed_at).update(**fields)
        DeliveryAttempt.objects.create(delivery_id=delivery.pk, started_at=started, ended_at=now,
                                       outcome=attempt_outcome, detail=detail, request=outcome.request,
                                       response=outcome.response)
    if not mine:
        logger.warning("diffusion: envoi %s repris par un autre processus pendant l'essai", delivery.pk)
    return fields["state"] if mine else "lost"


def send_one(delivery: Delivery) -> str:
    """Send a claimed delivery and record the outcome. Returns the new state."""
    started = timezone.now()
    delivery = Delivery.objects.select_related("document__patient", "receiver__organisation").get(pk=delivery.pk)
    try:
        doc = outgoing.build(delivery.document, delivery.action)
        outcome = dispatch.send(doc, delivery)
    except Exception as exc:  # a bug or an unreadable store file: recorded on the delivery, retried, never lost
        logger.exception("diffusion: envoi %s impossible", delivery.pk)
        outcome = Outcome("retry", f"Erreur interne lors de l'envoi ({exc.__class__.__name__}).")
    state = _finish(delivery, outcome, started)
    logger.info("diffusion: envoi %s (%s) → %s", delivery.pk, delivery.channel, state)
    return state


def reclaim_stuck(now=None) -> int:
    """Rows left `sending` by a killed worker: the attempt is recorded as interrupted and the delivery retried
    (the receiver may have filed it: a resend carries the same document id, its duplicate is acknowledged)."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.DCC_DIFFUSION_SENDING_TIMEOUT_SECONDS)
    stuck = list(Delivery.objects.filter(state=Delivery.State.SENDING).filter(
        Q(claimed_at__lt=limit) | Q(claimed_at__isnull=True)))
    for delivery in stuck:
        _finish(delivery, Outcome("retry", "Envoi interrompu (processus d'envoi arrêté) : nouvel essai."),
                delivery.claimed_at or now, interrupted=True)
    return len(stuck)


def send_due(*, limit: int | None = None, now=None) -> Counter:
    """Send every due delivery (at most `limit`). Returns the count per resulting state."""
    reclaim_stuck(now)
    counts: Counter = Counter()
    while limit is None or sum(counts.values()) < limit:
        delivery = _claim(now or timezone.now())
        if delivery is None:
            break
        counts[send_one(delivery)] += 1
    return counts


def next_due_at(now=None):
    """When the next scheduled retry is due (None when nothing is waiting). Only retries still to come, of
    deliveries whose CDA is ready: one waiting for its rendering is sent when the rendering is stored (the
    documents hook), one waiting behind an earlier version when that one is delivered — scheduling them "now"
    would make the task re-enqueue itself in a loop."""
    now = now or timezone.now()
    cda_ready = Rendering.objects.filter(document_id=OuterRef("document_id"), format=Rendering.Format.CDA,
                                         state=Rendering.State.READY)
    return (Delivery.objects.filter(state__in=OPEN_STATES, next_attempt_at__gt=now).filter(Exists(cda_ready))
            .order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first())
