"""Audit of unauthenticated refusals (bad launch tokens, failed API client authentications), aggregated.

Anyone can send refusals by the thousand; one audit event each would let a stranger flood the audit chain. So
refusals are counted per (kind, source address) in the database (RefusalTally), and an audit event is written at
most once per window for each: the first refusal after a quiet window is written at once, carrying the refusals
counted since the previous event (`details.count`, by reason in `details.reasons`). Refusals counted during a window
are written by the next refusal of the same kind and address after the window, or by any refusal once their window
has passed (`flush`), so that the counts of the events add up to every refusal."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from oncodcc.audit import context
from oncodcc.audit import services as audit

from .actors import SystemActor
from .models import RefusalTally

MAX_REASONS = 20  # distinct reason codes kept per event (the rest counted under "other")


def window() -> timedelta:
    return timedelta(seconds=settings.DCC_REFUSAL_AUDIT_WINDOW_SECONDS)


def note(*, kind: str, action: str, source: str, reason: str, actor_label: str, details: dict | None = None) -> bool:
    """Count one refusal; write the aggregated audit event when due, with `details` of this refusal (its reason
    code and what was wrong: never a secret nor a token). True when an event was written."""
    now = timezone.now()
    source = (source or "")[:45]
    with transaction.atomic():
        tally = _locked_tally(kind=kind, source=source, action=action, actor_label=actor_label)
        tally.pending += 1
        key = reason if reason in tally.reasons or len(tally.reasons) < MAX_REASONS else "other"
        tally.reasons[key] = tally.reasons.get(key, 0) + 1
        tally.first_pending_at = tally.first_pending_at or now
        tally.last_pending_at = now
        written = tally.last_event_at is None or now - tally.last_event_at >= window()
        if written:
            _write(tally, now, {"reason": reason, **(details or {})})
        tally.save()
    flush(now=now)
    return written


def flush(*, now=None) -> int:
    """Write the events of the refusals whose window has passed. Returns how many events were written."""
    now = now or timezone.now()
    due = RefusalTally.objects.filter(pending__gt=0, last_event_at__lte=now - window()).values_list("pk", flat=True)
    written = 0
    for pk in list(due[:100]):
        with transaction.atomic():
            tally = RefusalTally.objects.select_for_update().get(pk=pk)
            if tally.pending and tally.last_event_at <= now - window():
                _write(tally, now)
                tally.save()
                written += 1
    return written


def _locked_tally(*, kind: str, source: str, action: str, actor_label: str) -> RefusalTally:
    defaults = {"action": action, "actor_label": actor_label[:200]}
    try:
        with transaction.atomic():
            return RefusalTally.objects.select_for_update().get_or_create(kind=kind, source=source,
                                                                          defaults=defaults)[0]
    except IntegrityError:  # created by another process in between
        return RefusalTally.objects.select_for_update().get(kind=kind, source=source)


def _write(tally: RefusalTally, now, latest: dict | None = None) -> None:
    """One audit event for the pending refusals of `tally` (then none is pending), with the source address;
    `latest`: the details of the refusal that triggers it, when it does."""
    token = context.set_current(context.RequestContext(ip_address=tally.source, channel="system"))
    try:
        audit.record(
            actor=SystemActor(label=tally.actor_label, role="anonymous"), action=tally.action,
            reason=(latest or {}).get("reason", "refus agrégés"),
            details={**(latest or {}), "aggregated": True, "kind": tally.kind, "count": tally.pending,
                     "reasons": tally.reasons, "source": tally.source, "first_at": tally.first_pending_at,
                     "last_at": tally.last_pending_at},
        )
    finally:
        context.reset(token)
    tally.pending = 0
    tally.reasons = {}
    tally.first_pending_at = tally.last_pending_at = None
    tally.last_event_at = now
