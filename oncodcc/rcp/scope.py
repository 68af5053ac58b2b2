"""Which boards a user works in: the basis of patient access and of the lists on every screen."""

from django.db.models import Q, QuerySet

from oncodcc.accounts.models import Role

from .models import Board


def boards_of(user) -> QuerySet[Board]:
    """Boards where the user is a member (or coordinator), a secretary, or 3C/DSRC staff over them."""
    if not getattr(user, "is_authenticated", False):
        return Board.objects.none()
    q = Q(secretaries=user)
    if user.practitioner_id:
        q |= Q(members__practitioner_id=user.practitioner_id)
    if user.organisation_id and user.role in {Role.ADMIN_3C, Role.SECRETARY, Role.COORDINATOR}:
        q |= Q(managing_3c_id=user.organisation_id)
    if user.organisation_id and user.role == Role.ADMIN_DSRC:
        q |= Q(managing_3c__parent_id=user.organisation_id)
    return Board.objects.filter(pk__in=Board.objects.filter(q).values("pk"))


def is_board_staff(user, board: Board) -> bool:
    """Coordinator or secretary of the board, or 3C/DSRC staff over it: may organise its meetings."""
    if not getattr(user, "is_authenticated", False):
        return False
    if board.secretaries.filter(pk=user.pk).exists():
        return True
    if user.practitioner_id and board.members.filter(practitioner_id=user.practitioner_id, is_coordinator=True).exists():
        return True
    if user.role == Role.ADMIN_3C and user.organisation_id == board.managing_3c_id:
        return True
    return bool(
        user.role == Role.ADMIN_DSRC and user.organisation_id
        and board.managing_3c.parent_id == user.organisation_id
    )
