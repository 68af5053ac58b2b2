"""Quality indicators of the RCP for a year and a scope, one row per board, 3C or organ, with their definitions
(shown on the page, in the exports' notes and in docs/infocentre.md). Aggregates only: no patient, no text.

Years run in Europe/Paris. Two populations:
- **registrations** of the year: the cases put on the list of a meeting held in the year (by the meeting's date);
- **fiches** of the year: fiche sets first validated in the year (version 1's validation date, as "Fiches RCP"
  in the figures), judged on their latest validated version (a correction may complete an item).
Delays are in days; the median is the middle value (mean of the two middle ones), the 90th percentile the
nearest rank (the value below which 90 % of the delays fall)."""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from oncodcc.careplans.models import CarePlan
from oncodcc.diffusion.models import Delivery
from oncodcc.rcp.models import PARIS, Board, Fiche, Registration, Tumour
from oncodcc.terminology import valuesets

from . import scopes
from .scopes import Scope

DONE = [Fiche.Status.VALIDATED, Fiche.Status.SUPERSEDED]
GROUPINGS = {"rcp": "RCP", "3c": "3C", "organe": "Organe"}
CHANNELS = list(Delivery.Channel)

DEFINITIONS = [
    ("Dossiers inscrits", "Inscriptions à une séance de l'année (date de la séance, heure de Paris), quel que soit "
                          "leur devenir."),
    ("Discutés", "Inscriptions de l'année dont la fiche RCP validée porte le statut « cas discuté »."),
    ("Enregistrés", "Inscriptions de l'année dont la fiche RCP validée porte le statut « cas enregistré » (dossier "
                    "standard, présenté sans discussion selon un référentiel)."),
    ("Reportés", "Inscriptions de l'année reportées à une séance ultérieure (la nouvelle inscription compte dans "
                 "l'année de sa séance)."),
    ("Retirés", "Inscriptions de l'année retirées de la liste."),
    ("Fiches", "Fiches RCP validées pour la première fois dans l'année (base des indicateurs suivants, jugés sur la "
               "dernière version validée)."),
    ("Quorum atteint", "Part des fiches dont le quorum (au moins 3 médecins de spécialités différentes) était "
                       "atteint à la validation."),
    ("Items INCa complets", "Part des fiches où figurent tous les items obligatoires suivants : une tumeur avec sa "
                            "topographie (CIM-10), sa morphologie (CIM-O-3) et un stade (TNM ou autre), l'état "
                            "général (OMS), la phase, le mode de découverte (dépistage oui/non), la réponse sur "
                            "l'essai clinique, le référentiel utilisé, et le dossier déclaré complet."),
    ("Délai inscription → séance", "Jours entre la création de l'inscription et la séance, pour les fiches de "
                                   "l'année : médiane et 90ᵉ centile."),
    ("Délai séance → fiche validée", "Jours entre la séance et la première validation de la fiche : médiane et "
                                     "90ᵉ centile."),
    ("Délai fiche validée → PPS remis", "Jours entre la première validation de la fiche et la date de remise au "
                                        "patient du premier PPS qui en découle (fiches suivies d'un PPS remis) : "
                                        "médiane et 90ᵉ centile."),
    ("Essai clinique proposé", "Part des fiches proposant l'inclusion dans un essai clinique."),
    ("Hors référentiel", "Part des fiches dont la proposition ne cite aucun référentiel (« référentiel utilisé » "
                         "vide) : le jeu de données national n'a pas d'item « hors référentiel », c'est "
                         "l'approximation retenue."),
    ("Patients présentés plusieurs fois", "Patients distincts ayant au moins deux fiches de l'année dans la ligne, "
                                          "et leur part parmi les patients des fiches de la ligne."),
    ("Envois par canal", "Documents (fiches RCP, PPS) délivrés dans l'année par canal (DPI, MSSanté, DMP), selon "
                         "la date de délivrance ; entre parenthèses, les envois abandonnés après les essais."),
]


@dataclass
class Delays:
    values: list[float] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float | None:
        return round(statistics.median(self.values), 1) if self.values else None

    @property
    def p90(self) -> float | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 1)


@dataclass
class Row:
    label: str
    key: str
    registered: int = 0
    discussed: int = 0
    recorded: int = 0  # "cas enregistré"
    postponed: int = 0
    withdrawn: int = 0
    fiches: int = 0
    quorum: int = 0
    complete: int = 0
    trial: int = 0
    off_guideline: int = 0
    to_meeting: Delays = field(default_factory=Delays)
    to_fiche: Delays = field(default_factory=Delays)
    to_pps: Delays = field(default_factory=Delays)
    fiches_per_patient: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    delivered: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))
    dead: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANNELS, 0))

    def share(self, count: int) -> float | None:
        return round(100 * count / self.fiches, 1) if self.fiches else None

    @property
    def patients(self) -> int:
        return len(self.fiches_per_patient)

    @property
    def repeat_patients(self) -> int:
        return sum(1 for n in self.fiches_per_patient.values() if n >= 2)

    @property
    def repeat_share(self) -> float | None:
        return round(100 * self.repeat_patients / self.patients, 1) if self.patients else None


@dataclass
class QualityTable:
    year: int
    scope: Scope
    grouping: str
    rows: list[Row]
    total: Row


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=PARIS), datetime(year + 1, 1, 1, tzinfo=PARIS)


def _days(start, end) -> float:
    return (end - start).total_seconds() / 86400


def _groups(boards: list[Board], grouping: str) -> dict[int, list[tuple[str, str]]]:
    """board id → the (key, label) of the rows it counts in (a board with several organs counts in each)."""
    out: dict[int, list[tuple[str, str]]] = {}
    for board in boards:
        if grouping == "3c":
            out[board.pk] = [(f"3c:{board.managing_3c_id}", board.managing_3c.name)]
        elif grouping == "organe":
            organs = board.organs or []
            out[board.pk] = [(f"organ:{c}", valuesets.display(valuesets.ORGAN, c)) for c in organs] or [
                ("organ:", "RCP sans organe (transversales)")]
        else:
            out[board.pk] = [(f"board:{board.pk}", board.name)]
    return out


def compute(*, year: int, scope: Scope, grouping: str = "rcp") -> QualityTable:
    covered = scopes.boards(scope)
    boards = list((Board.objects.all() if covered is None else covered).select_related("managing_3c"))
    groups = _groups(boards, grouping)
    rows: dict[str, Row] = {}
    total = Row("Total", "total")

    def targets(board_id: int) -> list[Row]:
        found = [total]
        for key, label in groups.get(board_id, []):
            found.append(rows.setdefault(key, Row(label, key)))
        return found

    for key, label in (kl for board in boards for kl in groups[board.pk]):
        rows.setdefault(key, Row(label, key))
    start, end = _year_bounds(year)
    board_ids = [b.pk for b in boards]
    _registrations(start, end, board_ids, targets)
    _fiches(start, end, board_ids, targets)
    _deliveries(start, end, board_ids, targets)
    ordered = sorted(rows.values(), key=lambda r: r.label.lower())
    return QualityTable(year, scope, grouping, ordered, total)


def _registrations(start, end, board_ids, targets) -> None:
    first_fiches = Fiche.objects.filter(registration=OuterRef("pk"), version_number=1, status__in=DONE)
    registrations = (Registration.objects.filter(meeting__starts_at__gte=start, meeting__starts_at__lt=end,
                                                 meeting__board_id__in=board_ids)
                     .annotate(discussed=Exists(first_fiches.filter(case_status=valuesets.CASE_DISCUSSED)),
                               recorded=Exists(first_fiches.filter(case_status=valuesets.CASE_REGISTERED)))
                     .values_list("meeting__board_id", "status", "discussed", "recorded"))
    for board_id, status, discussed, recorded in registrations.iterator():
        for row in targets(board_id):
            row.registered += 1
            row.discussed += discussed
            row.recorded += recorded
            row.postponed += status == Registration.Status.MOVED
            row.withdrawn += status == Registration.Status.WITHDRAWN


def _fiches(start, end, board_ids, targets) -> None:
    firsts = Fiche.objects.filter(version_number=1, status__in=DONE, validated_at__gte=start, validated_at__lt=end,
                                  registration__meeting__board_id__in=board_ids)
    first_of = {row[0]: row[1:] for row in firsts.values_list(
        "set_id", "validated_at", "registration__created_at", "registration__meeting__starts_at",
        "registration__meeting__board_id", "patient_id").iterator()}
    complete_tumour = Tumour.objects.filter(fiche=OuterRef("pk")).exclude(topography="").exclude(morphology="").filter(
        ~Q(tnm_t="") | ~Q(other_stage=""))
    latest = (Fiche.objects.filter(status=Fiche.Status.VALIDATED, set_id__in=firsts.values("set_id"))
              .annotate(tumour_complete=Exists(complete_tumour))
              .values_list("set_id", "quorum_status", "trial_proposed", "guideline_name", "complete_file",
                           "who_performance", "phase", "screening", "tumour_complete"))
    handed = {}
    for set_id, day in (CarePlan.objects.filter(kind=CarePlan.Kind.PPS, fiche__set_id__in=firsts.values("set_id"),
                                                handed_over_at__isnull=False)
                        .values_list("fiche__set_id", "handed_over_at").iterator()):
        handed[set_id] = min(day, handed.get(set_id, day))
    for set_id, quorum, trial, guideline, complete_file, who, phase, screening, tumour_ok in latest.iterator():
        if set_id not in first_of:
            continue
        validated_at, registered_at, meeting_at, board_id, patient_id = first_of[set_id]
        complete = bool(tumour_ok and who and phase and screening is not None and trial is not None
                        and guideline.strip() and complete_file)
        validated_day = timezone.localtime(validated_at, PARIS).date()
        for row in targets(board_id):
            row.fiches += 1
            row.quorum += quorum == valuesets.QUORUM_REACHED
            row.complete += complete
            row.trial += trial is True
            row.off_guideline += not guideline.strip()
            row.to_meeting.values.append(_days(registered_at, meeting_at))
            row.to_fiche.values.append(_days(meeting_at, validated_at))
            if set_id in handed:
                row.to_pps.values.append(float((handed[set_id] - validated_day).days))
            row.fiches_per_patient[patient_id] += 1


def _deliveries(start, end, board_ids, targets) -> None:
    def of_boards(prefix: str):
        return Delivery.objects.filter(**{f"{prefix}__registration__meeting__board_id__in": board_ids})

    delivered = Q(state=Delivery.State.DELIVERED, delivered_at__gte=start, delivered_at__lt=end)
    dead = Q(state=Delivery.State.DEAD, created_at__gte=start, created_at__lt=end)
    for prefix in ("document__fiche", "document__care_plan__fiche"):
        rows = (of_boards(prefix).filter(delivered | dead)
                .values_list(f"{prefix}__registration__meeting__board_id", "channel", "state"))
        for board_id, channel, state in rows.iterator():
            for row in targets(board_id):
                counter = row.delivered if state == Delivery.State.DELIVERED else row.dead
                counter[channel] += 1
