"""Messages left "received" by a listener that was killed (kill -9, power loss) while processing them.

The raw row is committed before the processing transaction; when the process dies inside that transaction, the
database rolls it back and the row stays in state RECEIVED, unanswered (the sender has no ACK and will resend).
At start-up, before accepting connections, the listener finishes each such row, oldest first, through the same
path as any message (`processing.finish`: one transaction, the claim under the dedupe constraint):

* processed again: accepted (AA kept on the row), refused (AE/AR), or "duplicate" when the sender's resend was
  accepted meanwhile (by another process);
* a row already recovered once and stuck again (its processing kills the process) is marked failed (AE) with a
  reason instead, so that a poison message cannot stop the listener at every start;
* an incomplete row (truncated at the size limit) is marked failed.

The sender's resend of the same control id is then answered coherently: the stored AA of the recovered row (as a
duplicate, not processed twice), or, when it was refused or marked failed, a fresh processing. One listener per
database is assumed (a row being processed by a live listener elsewhere is not told apart from a stuck one; the
claim only stops it from being processed twice when that listener finishes first)."""

import logging
from collections import Counter

from django.utils import timezone

from . import ack
from .ack import Problem
from .models import Hl7Message
from .parsing import read_header
from .processing import INTERNAL_REASON, admit, finish

logger = logging.getLogger(__name__)
State = Hl7Message.State
RECOVERY_NOTE = "repris après l'interruption du listener"
POISON_REASON = ("Traitement interrompu deux fois (arrêt du listener pendant son traitement) : message non traité ; "
                 "renvoyez-le ou demandez son rejeu après correction.")
INCOMPLETE_REASON = "Message incomplet dans le journal (tronqué à la taille maximale) : non traité."


def recover_stuck() -> Counter:
    """Finish every row left RECEIVED; returns the count of rows per final state. Never raises on a database
    that cannot be read (no tables yet): the listener still starts, and says so in its log."""
    try:
        ids = list(Hl7Message.objects.filter(state=State.RECEIVED, replay_of__isnull=True)
                   .order_by("pk").values_list("pk", flat=True))
    except Exception as exc:  # DatabaseError (no tables yet) or any other: start anyway, and say so
        logger.warning("MLLP: reprise des messages interrompus impossible (%s)", type(exc).__name__)
        return Counter()
    outcome: Counter = Counter()
    for pk in ids:
        row = Hl7Message.objects.filter(pk=pk, state=State.RECEIVED).first()
        if row is None:
            continue
        try:
            outcome[_recover(row)] += 1
        except Exception as exc:  # this row stays as it is; the others are still recovered, the listener starts
            logger.error("MLLP: reprise du message n° %s impossible (%s)", pk, type(exc).__name__)
            outcome["reprise impossible"] += 1
    if ids:
        logger.warning("MLLP: %d messages interrompus par un arrêt brutal repris au démarrage (%s), n° %s",
                       len(ids), ", ".join(f"{state} {n}" for state, n in sorted(outcome.items())),
                       ", ".join(str(pk) for pk in ids[:20]) + ("…" if len(ids) > 20 else ""))
    return outcome


def _recover(row: Hl7Message) -> str:
    payload = bytes(row.raw or b"")
    header = read_header(payload)
    if RECOVERY_NOTE in row.notes:
        return _fail(row, header, POISON_REASON)
    if len(payload) != row.size:
        return _fail(row, header, INCOMPLETE_REASON)
    # Marked before processing, in its own commit: if this processing kills the process again, the next start
    # marks the row failed instead of trying forever.
    row.notes = (f"{row.notes} ; {RECOVERY_NOTE}" if row.notes else RECOVERY_NOTE)[:200]
    row.save(update_fields=["notes"])
    sender, problem = admit(header, None)  # still registered and active; authenticated when received
    return finish(row, payload, header, sender, problem).state


def _fail(row: Hl7Message, header, reason: str) -> str:
    problem = Problem("AE", ack.INTERNAL_ERROR, reason or INTERNAL_REASON)
    updated = Hl7Message.objects.filter(pk=row.pk, state=State.RECEIVED).update(
        state=State.ERROR, ack_code="AE", error=reason, processed_at=timezone.now(),
        ack=ack.build(header, "AE", problem=problem))
    return State.ERROR if updated else Hl7Message.objects.get(pk=row.pk).state
