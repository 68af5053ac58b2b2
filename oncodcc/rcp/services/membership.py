"""Board membership follows where a practitioner works: a practitioner who leaves an organisation (removed from
`Practitioner.organisations`, in the admin or in code) stops being a permanent member of that organisation's
boards — the boards it manages (its 3C) or where it is one of the hospitals.

A board stays when the practitioner still works in another organisation of that board (a surgeon who leaves one
site of a hospital group still in the board's other hospital). Coordinators lose their board too: the 3C names a
new one. One audit event per practitioner and change, listing the boards lost."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.directory.models import Practitioner

from ..models import Board, BoardMember


def boards_of_organisations(organisation_ids: Iterable[int]) -> QuerySet[Board]:
    ids = list(organisation_ids)
    return Board.objects.filter(Q(managing_3c_id__in=ids) | Q(hospitals__id__in=ids)).distinct()


def leave_organisations(*, practitioner: Practitioner, organisation_ids: Iterable[int], actor=None,
                        via: str = "") -> list[BoardMember]:
    """Remove `practitioner` from the boards of the organisations they left (call it once they are removed from
    them). Returns the memberships deleted. `actor` None: the change came through a path that does not know
    who made it (a direct m2m change); the organisation change itself is audited where it was made."""
    left = set(organisation_ids)
    if not left:
        return []
    with transaction.atomic():
        remaining = set(practitioner.organisations.values_list("pk", flat=True)) - left
        kept_boards = boards_of_organisations(remaining).values("pk") if remaining else Board.objects.none()
        memberships = list(
            BoardMember.objects.select_for_update().select_related("board")
            .filter(practitioner=practitioner, board__in=boards_of_organisations(left).values("pk"))
            .exclude(board__in=kept_boards).order_by("board__name")
        )
        if not memberships:
            return []
        BoardMember.objects.filter(pk__in=[m.pk for m in memberships]).delete()
        account = getattr(practitioner, "user", None)  # the reverse one-to-one raises AttributeError when absent
        audit.record(
            actor=actor, action=Action.ACCOUNT_BOARDS_LOST, obj=account or practitioner,
            reason="Départ d'une structure d'exercice : retrait des RCP de cette structure.",
            details={"practitioner_id": practitioner.pk, "organisations_left": sorted(left),
                     "boards": [{"id": m.board_id, "name": m.board.name, "coordinator": m.is_coordinator}
                                for m in memberships], "via": via},
        )
    return memberships
