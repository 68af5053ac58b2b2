"""Every scope of the region, for the DSRC's selector (a few hundred entries at most)."""

from oncodcc.directory.models import Organisation, Territory
from oncodcc.rcp.models import Board

from . import scopes
from .scopes import Scope


def regional_scopes() -> list[Scope]:
    offered = [scopes.region()]
    offered += [scopes.of_territory(t) for t in Territory.objects.filter(active=True).order_by("name")]
    offered += [scopes.of_ccc(c) for c in Organisation.objects.filter(kind=Organisation.Kind.CCC).order_by("name")]
    offered += [scopes.of_hospital(h) for h in Organisation.objects.filter(
        kind=Organisation.Kind.LEGAL_ENTITY).exclude(finess="").order_by("name")]
    boards = list(Board.objects.order_by("name"))
    offered += [scopes.of_board(b) for b in boards]
    organs = sorted({code for b in boards for code in (b.organs or [])})
    offered += sorted((scopes.of_organ(code) for code in organs), key=lambda s: s.label)
    return offered
