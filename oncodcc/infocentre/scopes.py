"""The scopes of the statistics: region, territory, 3C, hospital, board (RCP), organ, and a doctor's own
activity. Written as tokens — `region`, `territory:CODE`, `3c:KEY` (FINESS, else national id), `hospital:FINESS`,
`board:ID`, `organ:CODE`, `mine` — in the page's selector, the exports' URLs and `dcc stats --scope`.

A scope other than the region narrows each figure through the boards it covers:
- territory: the boards managed by its 3C; 3C: the boards it manages; hospital: the boards the hospital takes part
  in (a board shared by several hospitals counts for each); board: itself; organ: the organ boards whose organs
  include the code;
- accounts of a scope: the members and secretaries of its boards, and the accounts attached to its structures
  (the 3C, its hospitals; the hospital and the practitioners working there);
- patients of a scope: the patients registered on its boards.
"""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from oncodcc.accounts.models import User
from oncodcc.directory.models import Organisation, Territory
from oncodcc.patients.models import Patient
from oncodcc.rcp.models import Board, Registration
from oncodcc.terminology import valuesets

KIND_LABELS = {
    "region": "Région", "territory": "Territoire", "3c": "3C", "hospital": "Établissement", "board": "RCP",
    "organ": "Organe", "mine": "Mon activité",
}
HOSPITAL_KINDS = {Organisation.Kind.LEGAL_ENTITY, Organisation.Kind.SITE, Organisation.Kind.PRACTICE}


class ScopeError(ValueError):
    """An unknown or malformed scope (the page answers 404, the command an error)."""


@dataclass(frozen=True)
class Scope:
    kind: str
    key: str = ""
    label: str = ""
    obj: object = field(default=None, compare=False, repr=False)

    @property
    def token(self) -> str:
        return self.kind if self.kind in {"region", "mine"} else f"{self.kind}:{self.key}"

    @property
    def title(self) -> str:
        if self.kind in {"region", "mine"}:
            return self.label
        return f"{KIND_LABELS[self.kind]} — {self.label}"


def ccc_key(organisation: Organisation) -> str:
    return organisation.finess or organisation.national_id or str(organisation.pk)


def region() -> Scope:
    dsrc = Organisation.objects.filter(kind=Organisation.Kind.DSRC).order_by("pk").first()
    return Scope("region", label=f"Région ({dsrc})" if dsrc else "Région", obj=dsrc)


def of_territory(territory: Territory) -> Scope:
    return Scope("territory", territory.code, territory.name, territory)


def of_ccc(ccc: Organisation) -> Scope:
    return Scope("3c", ccc_key(ccc), str(ccc), ccc)


def of_hospital(hospital: Organisation) -> Scope:
    return Scope("hospital", hospital.finess, str(hospital), hospital)


def of_board(board: Board) -> Scope:
    return Scope("board", str(board.pk), board.name, board)


def of_organ(code: str) -> Scope:
    return Scope("organ", code, valuesets.label(valuesets.ORGAN, code), code)


def mine(user) -> Scope:
    return Scope("mine", label=f"Mon activité ({user})", obj=user)


def parse(token: str, *, user=None) -> Scope:
    """The scope named by a token. Raises ScopeError when it names nothing."""
    token = (token or "region").strip()
    kind, _, key = token.partition(":")
    if kind == "region" and not key:
        return region()
    if kind == "mine" and not key:
        if user is None:
            raise ScopeError("Le périmètre « mine » désigne l'activité de l'utilisateur connecté.")
        return mine(user)
    if not key:
        raise ScopeError(f"Périmètre incomplet : {token!r} (attendu {kind}:CODE).")
    found = _lookup(kind, key)
    if found is None:
        raise ScopeError(f"Périmètre inconnu : {token!r}.")
    return found


def _lookup(kind: str, key: str) -> Scope | None:
    if kind == "territory":
        territory = Territory.objects.filter(code=key).first()
        return of_territory(territory) if territory else None
    if kind == "3c":
        ccc = Organisation.objects.filter(Q(finess=key) | Q(national_id=key), kind=Organisation.Kind.CCC).first()
        if ccc is None and key.isdigit():
            ccc = Organisation.objects.filter(pk=int(key), kind=Organisation.Kind.CCC).first()
        return of_ccc(ccc) if ccc else None
    if kind == "hospital":
        hospital = Organisation.objects.filter(finess=key, kind__in=HOSPITAL_KINDS).first() if key else None
        return of_hospital(hospital) if hospital else None
    if kind == "board":
        board = Board.objects.filter(pk=int(key)).first() if key.isdigit() else None
        return of_board(board) if board else None
    if kind == "organ":
        return of_organ(key) if key in valuesets.get(valuesets.ORGAN) else None
    return None


def boards(scope: Scope) -> QuerySet[Board] | None:
    """The boards a scope covers; None for the whole region (which also counts what has no board)."""
    if scope.kind == "region":
        return None
    if scope.kind == "territory":
        return Board.objects.filter(managing_3c__territory=scope.obj)
    if scope.kind == "3c":
        return Board.objects.filter(managing_3c=scope.obj)
    if scope.kind == "hospital":
        hospital = scope.obj
        ids = [hospital.pk] + ([hospital.parent_id] if hospital.kind == Organisation.Kind.SITE and hospital.parent_id
                               else [])
        return Board.objects.filter(pk__in=Board.objects.filter(hospitals__in=ids).values("pk"))
    if scope.kind == "board":
        return Board.objects.filter(pk=scope.obj.pk)
    if scope.kind == "organ":
        # Organ codes live in a JSON list: filtered here (a region has a few hundred boards).
        ids = [pk for pk, organs in Board.objects.values_list("pk", "organs") if scope.key in (organs or [])]
        return Board.objects.filter(pk__in=ids)
    raise ScopeError(f"Le périmètre {scope.token} ne se ramène pas à des RCP.")


def users(scope: Scope) -> QuerySet[User] | None:
    """The accounts of a scope; None for the whole region."""
    if scope.kind == "region":
        return None
    covered = boards(scope)
    q = Q(practitioner__board_memberships__board__in=covered) | Q(boards_as_secretary__in=covered)
    if scope.kind == "territory":
        q |= Q(organisation__territory=scope.obj) | Q(organisation__parent__territory=scope.obj)
    elif scope.kind == "3c":
        q |= Q(organisation=scope.obj) | Q(organisation__parent=scope.obj)
    elif scope.kind == "hospital":
        q |= Q(organisation=scope.obj) | Q(practitioner__organisations=scope.obj)
    return User.objects.filter(pk__in=User.objects.filter(q).values("pk"))


def patients(scope: Scope) -> QuerySet[Patient] | None:
    """The patients of a scope (registered on one of its boards); None for the whole region."""
    if scope.kind == "region":
        return None
    registered = Registration.objects.filter(meeting__board__in=boards(scope)).values("patient_id")
    return Patient.objects.filter(pk__in=registered)
