"""The users' secret calendar addresses: issue (or regenerate), revoke, resolve. No patient data is behind them:
the feed lists meetings (board, date, place, video-conference link), so the address is a bearer secret like a
private calendar link, kept hashed, shown once."""

import logging

from django.db import transaction
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import is_signed_in

from .models import CalendarFeed, hash_token

logger = logging.getLogger(__name__)


@transaction.atomic
def issue(*, actor) -> str:
    """A new secret address for the actor (any earlier one stops working). Returns the token, to show once."""
    token = CalendarFeed.new_token()
    regenerated = CalendarFeed.objects.filter(user=actor).delete()[0] > 0
    CalendarFeed.objects.create(user=actor, token_hash=hash_token(token))
    audit.record(actor=actor, action=Action.CALENDAR_FEED_CREATE, details={"regenerated": regenerated})
    return token


@transaction.atomic
def revoke(*, actor) -> bool:
    deleted = CalendarFeed.objects.filter(user=actor).delete()[0] > 0
    if deleted:
        audit.record(actor=actor, action=Action.CALENDAR_FEED_REVOKE)
    return deleted


def resolve(token: str):
    """The user behind a feed token, or None (unknown token, or an account no longer active). Marks the use."""
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=hash_token(token)).first()
    if feed is None or not is_signed_in(feed.user):
        return None
    # Light trace: the last use on the row, the feed's number (never the user's name) in the log.
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
    logger.info("calendrier: flux %s lu", feed.pk)
    return feed.user
