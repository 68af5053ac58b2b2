"""The yearly access review (issue 10): for each account of a structure, its reviewer confirms it or deactivates
it. The campaign (`AccessReview`: year, structure, who opened it) and each decision (who, when) are stored and
audited; a deactivation goes through `lifecycle.deactivate`, like every other path.

Which accounts belong to a structure's review, and the page that lists them, are in `oncodcc.front.access_review`
(it needs the boards); this module only writes."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import require

from . import lifecycle
from .models import AccessReview, AccessReviewDecision
from .review_policy import REVIEW

Decision = AccessReviewDecision.Decision


def campaign(*, year: int, organisation) -> AccessReview | None:
    return AccessReview.objects.filter(year=year, organisation=organisation).first()


def decide(*, actor, organisation, year: int, user, decision: str) -> AccessReviewDecision:
    """Record `decision` (confirmed / deactivated) on `user` in the `year` review of `organisation`; the caller has
    checked that `user` is one of the structure's accounts. A decision already taken for that year is not
    changed (ValidationError): a confirmed account deactivated later goes through a new decision next year or
    through the administration."""
    require(actor, REVIEW, organisation, message="Vous ne pouvez pas revoir les comptes de cette structure.")
    if decision not in Decision.values:
        raise ValidationError("Décision inconnue.")
    if decision == Decision.DEACTIVATED and user.pk == actor.pk:
        raise ValidationError("Vous ne pouvez pas désactiver votre propre compte.")
    with transaction.atomic():
        review, created = AccessReview.objects.get_or_create(
            year=year, organisation=organisation, defaults={"started_by": actor})
        if created:
            audit.record(actor=actor, action=Action.ACCOUNT_REVIEW, obj=review,
                         details={"year": year, "organisation_id": organisation.pk, "step": "opened"})
        existing = AccessReviewDecision.objects.select_for_update().filter(review=review, user=user).first()
        if existing is not None:
            raise ValidationError(
                f"Ce compte a déjà été {existing.get_decision_display()} pour la revue {year}.")
        record = AccessReviewDecision.objects.create(
            review=review, user=user, decision=decision, decided_by=actor, decided_at=timezone.now())
        if decision == Decision.DEACTIVATED:
            lifecycle.deactivate(user, actor=actor,
                                 reason=f"Revue annuelle des accès {year} ({organisation}) : compte désactivé.")
        audit.record(actor=actor, action=Action.ACCOUNT_REVIEW, obj=user,
                     details={"year": year, "organisation_id": organisation.pk, "decision": decision,
                              "review_id": review.pk, "username": user.username})
    return record
