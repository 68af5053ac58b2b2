"""Reading deliveries for the panel and the dashboard."""

from .models import Delivery

RESENDABLE = (Delivery.State.ERROR, Delivery.State.DEAD, Delivery.State.DELIVERED)
MOVING = (Delivery.State.PENDING, Delivery.State.SENDING)


def deliveries_of(document) -> list[Delivery]:
    return list(Delivery.objects.filter(document=document).order_by("channel", "recipient_label", "pk"))


def errors_for(user) -> list[Delivery]:
    """Deliveries in error or abandoned of the administrator's boards (fiches, and PPS built from their fiches)."""
    from django.db.models import Q

    from .policy import error_boards

    boards = error_boards(user)
    return list(Delivery.objects.filter(state__in=(Delivery.State.ERROR, Delivery.State.DEAD)).filter(
        Q(document__fiche__registration__meeting__board__in=boards)
        | Q(document__care_plan__fiche__registration__meeting__board__in=boards))
        .select_related("document").order_by("-updated_at")[:500])
