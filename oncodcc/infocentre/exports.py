"""The tables of the infocentre as data (for the page, CSV and XLSX), and small-count suppression for the
exports that leave the DSRC: counts from 1 to 4 become "< 5", and what is derived from a masked count (a change,
a share) is masked too, so that it cannot be recomputed."""

import csv
import io
from dataclasses import dataclass, field, replace

from openpyxl import Workbook

from .activity import COLUMNS as ACTIVITY_COLUMNS
from .activity import ActivityTable
from .figures import Figures

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
SMALL = "< 5"
MASKED = "—"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # "label", "count", or "derived" (computed from `sources`)
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str  # the export's file name stem
    title: str
    columns: list[Column]
    rows: list[dict]
    notes: list[str] = field(default_factory=list)
    suppressed: bool = False


def figures_table(result: Figures) -> Table:
    y = result.year
    columns = [Column("label", "Indicateur", "label"), Column("value", str(y)), Column("previous", str(y - 1)),
               Column("change", "Évolution", "derived", ("value", "previous")),
               Column("change_percent", "Évolution (%)", "derived", ("value", "previous"))]
    rows = [{"label": f.label, "value": f.value, "previous": f.previous, "change": f.change,
             "change_percent": f.change_percent} for f in [*result.main, *result.apart]]
    notes = [f"{f.label} : {f.definition}" for f in [*result.main, *result.apart]]
    return Table(f"dcc-en-chiffres-{y}", f"Le DCC en chiffres — {y} — {result.scope.title}", columns, rows, notes)


def monthly_table(year: int, scope_title: str, months: list[dict]) -> Table:
    columns = [Column("label", "Mois", "label"), Column("meetings", "Séances tenues"),
               Column("fiches", "Fiches RCP"), Column("pps", "PPS")]
    rows = [{"label": MONTHS[m["month"] - 1], **{k: m[k] for k in ("meetings", "fiches", "pps")}} for m in months]
    return Table(f"activite-mensuelle-{year}", f"Activité mensuelle — {year} — {scope_title}", columns, rows)


def activity_table(result: ActivityTable) -> Table:
    level = {"territory": "Territoire", "3c": "3C", "board": "RCP"}[result.level]
    columns = [Column("label", level, "label"), *[Column(k, label) for k, label in ACTIVITY_COLUMNS],
               Column("share", "Part produite dans OncoDCC (%)", "derived", ("fiches", "declared"))]

    def row(r) -> dict:
        return {"label": r.label, **{k: getattr(r, k) for k, _ in ACTIVITY_COLUMNS}, "share": r.share}

    return Table(f"activite-par-territoire-{result.year}",
                 f"Activité par territoire, 3C et RCP — {result.year} — {result.scope.title}",
                 columns, [*map(row, result.rows), row(result.total)])


def suppress(table: Table) -> Table:
    """Counts 1–4 shown as "< 5"; a derived cell whose sources include a masked count is masked."""
    counts = [c.key for c in table.columns if c.kind == "count"]
    rows = []
    for row in table.rows:
        masked = {k for k in counts if isinstance(row.get(k), int) and 1 <= row[k] <= 4}
        new = {**row, **dict.fromkeys(masked, SMALL)}
        for column in table.columns:
            if column.kind == "derived" and masked & set(column.sources):
                new[column.key] = MASKED
        rows.append(new)
    notes = [*table.notes, "Petits effectifs masqués : les nombres de 1 à 4 sont affichés « < 5 » ; les "
                           "évolutions et parts qui en dépendent sont masquées (—)."]
    return replace(table, rows=rows, notes=notes, suppressed=True)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return value


def to_csv(table: Table) -> bytes:
    """Semicolon-separated, UTF-8 with a byte order mark (what a French spreadsheet opens as is)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.label for c in table.columns])
    for row in table.rows:
        writer.writerow([_cell(row.get(c.key)) for c in table.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Données"
    sheet.append([c.label for c in table.columns])
    for row in table.rows:
        sheet.append(["" if row.get(c.key) is None else row.get(c.key) for c in table.columns])
    sheet.column_dimensions["A"].width = 40
    notes = book.create_sheet("Notes")
    notes.append([table.title])
    for note in table.notes:
        notes.append([note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
