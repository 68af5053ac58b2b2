"""Who sees which statistics (ADR 0007: one policy module per subject).

- DSRC administrator (and the system administrator): the whole region, every scope; their exports are not
  suppressed (they stay within the DSRC).
- 3C administrator and 3C coordinator (a coordinator attached to a 3C): their 3C and its boards.
- Board coordinator (a practitioner flagged coordinator of a board): those boards.
- Doctor (any account linked to a practitioner, coordinators included): their own activity — the fiches they
  signed or requested and what followed them.
- Epidemiologist (DSRC): the whole region's statistics, suppressed exports (aggregates only, like a 3C).
- Everyone else (secretaries, DPO…): nothing.
Declaring the activity made in other tools: the 3C administrator for their 3C's boards, the DSRC administrator
for every board of the region. Only aggregates are ever shown on the statistics pages: no patient, no clinical
text.

The search over fiches is another matter — clinical text, patient by patient:
- the roles that work on cases (doctors, coordinators, secretaries) search the fiches of the patients they hold a
  relation with (`core.policy.relation_scope`: care team, their boards' cases…), identified;
- the DSRC's epidemiologist searches every fiche of the region, pseudonymised (no name, no INS, birth year only,
  a stable keyed pseudonym);
- administrators and the DPO never search clinical content.
"""

from oncodcc.accounts.models import Role
from oncodcc.core.policy import CASE_WORKER_ROLES, is_signed_in, register
from oncodcc.directory.models import Organisation
from oncodcc.rcp.models import Board, BoardMember

from . import catalogue, scopes
from .scopes import Scope

VIEW = "infocentre.view"
DECLARE = "infocentre.declare"
EXPORT_UNSUPPRESSED = "infocentre.export_unsuppressed"
SEARCH = "infocentre.search"
SEARCH_REGION = "infocentre.search_region"


def is_regional(user) -> bool:
    return is_signed_in(user) and (user.is_superuser or user.role in {Role.ADMIN_DSRC, Role.SYSADMIN})


def is_epidemiologist(user) -> bool:
    return is_signed_in(user) and user.role == Role.EPIDEMIOLOGIST


def sees_region(user) -> bool:
    return is_regional(user) or is_epidemiologist(user)


def ccc_of(user) -> Organisation | None:
    """The 3C whose statistics a 3C administrator or a 3C coordinator sees."""
    if not is_signed_in(user) or user.role not in {Role.ADMIN_3C, Role.COORDINATOR} or not user.organisation_id:
        return None
    organisation = user.organisation
    return organisation if organisation.kind == Organisation.Kind.CCC else None


def coordinated_board_ids(user) -> set[int]:
    if not is_signed_in(user) or not user.practitioner_id:
        return set()
    return set(BoardMember.objects.filter(practitioner_id=user.practitioner_id, is_coordinator=True)
               .values_list("board_id", flat=True))


def has_own_activity(user) -> bool:
    return is_signed_in(user) and bool(user.practitioner_id) and user.role in {Role.DOCTOR, Role.COORDINATOR}


def default_scope(user) -> Scope | None:
    """The scope a user's page opens on; None when they see no statistics."""
    if sees_region(user):
        return scopes.region()
    ccc = ccc_of(user)
    if ccc is not None:
        return scopes.of_ccc(ccc)
    boards = coordinated_board_ids(user)
    if boards:
        return scopes.of_board(Board.objects.filter(pk__in=boards).order_by("name").first())
    if has_own_activity(user):
        return scopes.mine(user)
    return None


def _sees(user, scope: Scope) -> bool:
    if scope.kind == "mine":
        return has_own_activity(user) and scope.obj == user
    if sees_region(user):
        return True
    ccc = ccc_of(user)
    if ccc is not None:
        if scope.kind == "3c" and scope.obj.pk == ccc.pk:
            return True
        if scope.kind == "board" and scope.obj.managing_3c_id == ccc.pk:
            return True
    return scope.kind == "board" and scope.obj.pk in coordinated_board_ids(user)


@register(VIEW, "Voir les statistiques de l'infocentre (un périmètre : région, territoire, 3C, RCP…)")
def may_view(user, scope: Scope | None = None) -> bool:
    if scope is None:  # asked on every page (the navigation link): the checks without a query first
        return (sees_region(user) or has_own_activity(user) or ccc_of(user) is not None
                or bool(coordinated_board_ids(user)))
    return _sees(user, scope)


@register(DECLARE, "Déclarer l'activité RCP faite hors OncoDCC (par RCP et par mois)")
def may_declare(user, board: Board | None = None) -> bool:
    if not is_signed_in(user):
        return False
    if is_regional(user):
        return True
    if user.role != Role.ADMIN_3C or ccc_of(user) is None:
        return False
    return board is None or board.managing_3c_id == user.organisation_id


@register(EXPORT_UNSUPPRESSED, "Exporter les statistiques sans masquer les petits effectifs (DSRC)")
def exports_unsuppressed(user, obj=None) -> bool:
    return is_regional(user)


def selectable_scopes(user) -> list[Scope]:
    """The scopes offered in the page's selector, in order."""
    if sees_region(user):
        return catalogue.regional_scopes()
    offered: list[Scope] = []
    ccc = ccc_of(user)
    board_ids = coordinated_board_ids(user)
    if ccc is not None:
        offered.append(scopes.of_ccc(ccc))
        board_ids |= set(Board.objects.filter(managing_3c=ccc).values_list("pk", flat=True))
    offered += [scopes.of_board(b) for b in Board.objects.filter(pk__in=board_ids).order_by("name")]
    if has_own_activity(user):
        offered.append(scopes.mine(user))
    return offered


@register(SEARCH, "Rechercher dans le texte des fiches RCP (ses patients ; l'épidémiologiste : pseudonymisé)")
def may_search(user, obj=None) -> bool:
    return is_signed_in(user) and (user.role in CASE_WORKER_ROLES or user.role == Role.EPIDEMIOLOGIST)


@register(SEARCH_REGION, "Rechercher dans toutes les fiches de la région, pseudonymisées (épidémiologiste DSRC)")
def searches_region_pseudonymised(user, obj=None) -> bool:
    return is_epidemiologist(user)
