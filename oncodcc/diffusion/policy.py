"""The diffusion policy (ADR 0007): who may send a document again, who sees the deliveries in error.

- *Renvoyer* (`diffusion.resend`, on a delivery): the staff of the board whose work produced the document — its
  coordinator and secretaries — and the 3C/DSRC administrators over that board (rcp.policy.is_board_staff).
- The error dashboard (`diffusion.view_errors`): the 3C administrators (their 3C's boards) and the DSRC
  administrators (the boards of their 3Cs). It shows no clinical content: kind of document, date, recipient, error."""

from oncodcc.accounts.models import Role
from oncodcc.core.policy import is_signed_in, register
from oncodcc.rcp.models import Board
from oncodcc.rcp.policy import is_board_staff

RESEND = "diffusion.resend"
VIEW_ERRORS = "diffusion.view_errors"


@register(RESEND, "Renvoyer un document à un destinataire (panneau Diffusion)")
def can_resend(user, delivery) -> bool:
    if not is_signed_in(user) or delivery is None:
        return False
    from .recipients import board_of

    board = board_of(delivery.document)
    return board is not None and is_board_staff(user, board)


@register(VIEW_ERRORS, "Voir les envois en erreur de ses RCP (tableau du 3C)")
def can_view_errors(user, obj=None) -> bool:
    return is_signed_in(user) and bool(user.organisation_id) and user.role in {Role.ADMIN_3C, Role.ADMIN_DSRC}


def error_boards(user):
    """The boards whose deliveries the administrator's dashboard lists."""
    if user.role == Role.ADMIN_3C:
        return Board.objects.filter(managing_3c_id=user.organisation_id)
    if user.role == Role.ADMIN_DSRC:
        return Board.objects.filter(managing_3c__parent_id=user.organisation_id)
    return Board.objects.none()
