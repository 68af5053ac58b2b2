"""Activity per territory, 3C and board (the Hauts-de-France table): for a year and a scope, one row per
territory (region), per 3C (territory), or per board (3C, hospital, organ, board), with the drill-down scope of
each row.

- active boards: boards with at least one meeting held in OncoDCC or RCP reports declared in the year;
- meetings: meetings held (at least one validated fiche), as in the figures;
- fiches: fiches RCP first validated in the year in OncoDCC;
- patients discussed: distinct patients with a fiche first validated in the year (counted once per row even
  when discussed on several of its boards);
- declared: RCP reports the 3C declared as made in other tools for the year's months;
- share in OncoDCC: fiches / (fiches + declared)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Sum

from oncodcc.directory.models import Organisation, Territory
from oncodcc.rcp.models import Board

from . import scopes
from .models import DailyActivity, DeclaredActivity, DiscussedPatient, Kind
from .scopes import Scope

COLUMNS = [("active_boards", "RCP actives"), ("meetings", "Séances tenues"), ("fiches", "Fiches RCP (OncoDCC)"),
           ("patients", "Patients discutés"), ("declared", "Comptes rendus déclarés hors OncoDCC")]


@dataclass
class Row:
    label: str
    scope: Scope | None  # where the row drills down to (None: nowhere)
    board_ids: list[int] = field(default_factory=list)
    active_boards: int = 0
    meetings: int = 0
    fiches: int = 0
    patients: int = 0
    declared: int = 0

    @property
    def share(self) -> float | None:
        total = self.fiches + self.declared
        return round(100 * self.fiches / total, 1) if total else None


@dataclass
class ActivityTable:
    year: int
    scope: Scope
    level: str  # what the rows are: "territory", "3c" or "board"
    rows: list[Row]
    total: Row


def table(*, year: int, scope: Scope) -> ActivityTable:
    covered = scopes.boards(scope)
    boards = list((Board.objects.all() if covered is None else covered)
                  .select_related("managing_3c__territory").order_by("name"))
    if scope.kind == "region":
        level, groups = "territory", _by_territory(boards)
    elif scope.kind == "territory":
        level, groups = "3c", _by_ccc(boards)
    else:
        level, groups = "board", [(b.name, scopes.of_board(b), [b]) for b in boards]
    per_board = _per_board(year, [b.pk for b in boards])
    rows = [_row(label, target, [b.pk for b in members], per_board, year) for label, target, members in groups]
    total = _row("Total", None, [b.pk for b in boards], per_board, year)
    return ActivityTable(year, scope, level, rows, total)


def _by_territory(boards: list[Board]):
    grouped: dict[int | None, list[Board]] = defaultdict(list)
    for board in boards:
        grouped[board.managing_3c.territory_id].append(board)
    groups = [(t.name, scopes.of_territory(t), grouped.get(t.pk, []))
              for t in Territory.objects.order_by("name")]
    if grouped.get(None):
        groups.append(("3C sans territoire", None, grouped[None]))
    return groups


def _by_ccc(boards: list[Board]):
    grouped: dict[int, list[Board]] = defaultdict(list)
    for board in boards:
        grouped[board.managing_3c_id].append(board)
    cccs = Organisation.objects.filter(pk__in=list(grouped)).order_by("name")
    return [(str(c), scopes.of_ccc(c), grouped[c.pk]) for c in cccs]


def _per_board(year: int, board_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"meetings": 0, "fiches": 0, "declared": 0})
    rollups = (DailyActivity.objects.filter(day__gte=date(year, 1, 1), day__lte=date(year, 12, 31),
                                            board_id__in=board_ids, kind__in=[Kind.MEETING_HELD, Kind.FICHE])
               .values("board_id", "kind").annotate(n=Sum("count")).values_list("board_id", "kind", "n"))
    for board_id, kind, n in rollups:
        counts[board_id]["meetings" if kind == Kind.MEETING_HELD else "fiches"] = n
    declared = (DeclaredActivity.objects.filter(month__year=year, board_id__in=board_ids)
                .values("board_id").annotate(n=Sum("reports")).values_list("board_id", "n"))
    for board_id, n in declared:
        counts[board_id]["declared"] = n
    return counts


def _row(label: str, target: Scope | None, board_ids: list[int], per_board, year: int) -> Row:
    row = Row(label, target, board_ids)
    for board_id in board_ids:
        c = per_board.get(board_id)
        if c is None:
            continue
        row.meetings += c["meetings"]
        row.fiches += c["fiches"]
        row.declared += c["declared"]
        row.active_boards += 1 if (c["meetings"] or c["declared"]) else 0
    row.patients = (DiscussedPatient.objects.filter(year=year, board_id__in=board_ids)
                    .values("patient_id").distinct().count()) if board_ids else 0
    return row
