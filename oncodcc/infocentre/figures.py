"""Le DCC en chiffres: the seven figures of a year and a scope, beside the previous year, computed from the
rollup tables (activity) and from indexed counts (accounts, patients). The page, the exports and `dcc stats`
all call `compute`: one definition, written once (DEFINITIONS), shown on the page and in the README."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Q, Sum
from django.db.models.functions import ExtractMonth

from oncodcc.careplans.models import CarePlan
from oncodcc.patients.models import Patient
from oncodcc.rcp.models import Fiche

from . import scopes
from .models import DailyActivity, Kind, SignInDay
from .rollups import paris_day, year_bounds
from .scopes import Scope

# key, label, definition (French: shown on the page, in the exports' notes and in the README).
DEFINITIONS = [
    ("meetings", "Séances de RCP",
     "Séances tenues dans l'année : réunions dont au moins un dossier a été discuté, c'est-à-dire a une fiche RCP "
     "validée ; l'année est celle de la date de la séance, à l'heure de Paris."),
    ("fiches", "Fiches RCP",
     "Fiches RCP validées dans l'année : la première validation de chaque fiche (une fiche et ses corrections "
     "comptent une fois) ; les corrections sont comptées à part."),
    ("pps", "PPS",
     "Programmes personnalisés de soins validés dans l'année (première validation de chaque PPS) ; leurs mises à "
     "jour et les PPAC sont comptés à part."),
    ("active_users", "Utilisateurs actifs",
     "Comptes qui se sont connectés au moins une fois dans l'année (jours de connexion enregistrés à chaque "
     "connexion et repris du journal d'audit)."),
    ("new_users", "Nouveaux utilisateurs", "Comptes créés dans l'année."),
    ("new_patients", "Nouveaux patients",
     "Dossiers patients créés dans l'année, hors dossiers fusionnés dans un autre."),
    ("patients_total", "Patients au total",
     "Dossiers patients actifs au 31 décembre de l'année : créés avant la fin de l'année et non fusionnés dans un "
     "autre dossier."),
]
APART = [
    ("corrections", "Corrections de fiches RCP", "Validations d'une nouvelle version (correction) d'une fiche RCP."),
    ("pps_updates", "Mises à jour de PPS", "Validations d'une nouvelle version d'un PPS."),
    ("ppac", "PPAC", "Programmes personnalisés de l'après-cancer validés dans l'année (première validation)."),
    ("postponed", "Dossiers reportés",
     "Inscriptions reportées à une autre séance (à la clôture d'une séance, faute de quorum ou à la main), comptées "
     "à la date de la séance d'origine, à l'heure de Paris."),
]
ROLLUP_KIND = {"meetings": Kind.MEETING_HELD, "fiches": Kind.FICHE, "pps": Kind.PPS,
               "corrections": Kind.FICHE_CORRECTION, "pps_updates": Kind.PPS_UPDATE, "ppac": Kind.PPAC,
               "postponed": Kind.POSTPONED}
SCOPE_NOTES = {
    "mine": "Votre activité : les fiches RCP que vous avez signées ou demandées, les séances où elles ont été "
            "validées et les PPS/PPAC que vous avez validés ou dont vous êtes le médecin référent. Les comptes et "
            "les dossiers patients n'ont pas de sens à cette échelle.",
}


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    definition: str
    value: int | None
    previous: int | None

    @property
    def change(self) -> int | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_percent(self) -> float | None:
        if self.change is None or not self.previous:
            return None
        return round(100 * self.change / self.previous, 1)


@dataclass(frozen=True)
class Figures:
    year: int
    scope: Scope
    main: list[Figure]
    apart: list[Figure]

    def as_dict(self) -> dict:
        def row(f: Figure) -> dict:
            return {"key": f.key, "label": f.label, "value": f.value, "previous": f.previous, "change": f.change,
                    "change_percent": f.change_percent}

        return {"year": self.year, "previous_year": self.year - 1, "scope": self.scope.token,
                "scope_label": self.scope.title, "figures": [row(f) for f in self.main],
                "apart": [row(f) for f in self.apart]}


def compute(*, year: int, scope: Scope) -> Figures:
    now, before = values(year=year, scope=scope), values(year=year - 1, scope=scope)

    def build(definitions) -> list[Figure]:
        return [Figure(key, label, text, now.get(key), before.get(key)) for key, label, text in definitions]

    return Figures(year, scope, build(DEFINITIONS), build(APART))


def values(*, year: int, scope: Scope) -> dict[str, int | None]:
    if scope.kind == "mine":
        return _own_activity(year, scope.obj)
    counted = activity(year=year, scope=scope)
    result: dict[str, int | None] = {key: counted.get(kind, 0) for key, kind in ROLLUP_KIND.items()}
    result.update(_accounts(year, scope))
    result.update(_patients(year, scope))
    return result


def _rollups(year: int, scope: Scope):
    rows = DailyActivity.objects.filter(day__gte=date(year, 1, 1), day__lte=date(year, 12, 31))
    covered = scopes.boards(scope)
    return rows if covered is None else rows.filter(board__in=covered)


def activity(*, year: int, scope: Scope) -> dict[str, int]:
    """Totals of the year per rollup kind."""
    return dict(_rollups(year, scope).values("kind").annotate(n=Sum("count")).values_list("kind", "n"))


def monthly(*, year: int, scope: Scope) -> list[dict[str, int]]:
    """Twelve rows (January to December): meetings held, fiches, PPS of each month."""
    months = [{"month": m, "meetings": 0, "fiches": 0, "pps": 0} for m in range(1, 13)]
    if scope.kind == "mine":
        return months
    wanted = {Kind.MEETING_HELD: "meetings", Kind.FICHE: "fiches", Kind.PPS: "pps"}
    rows = (_rollups(year, scope).filter(kind__in=list(wanted)).annotate(month=ExtractMonth("day"))
            .values("month", "kind").annotate(n=Sum("count")).values_list("month", "kind", "n"))
    for month, kind, n in rows:
        months[month - 1][wanted[kind]] = n
    return months


def _accounts(year: int, scope: Scope) -> dict[str, int]:
    accounts = scopes.users(scope)
    accounts = get_user_model().objects.all() if accounts is None else accounts
    start, end = year_bounds(year)
    signed_in = SignInDay.objects.filter(day__gte=date(year, 1, 1), day__lte=date(year, 12, 31))
    if scope.kind != "region":
        signed_in = signed_in.filter(user__in=accounts)
    return {
        "active_users": signed_in.values("user_id").distinct().count(),
        "new_users": accounts.filter(date_joined__gte=start, date_joined__lt=end).count(),
    }


def _patients(year: int, scope: Scope) -> dict[str, int]:
    records = scopes.patients(scope)
    records = (Patient.objects.all() if records is None else records).filter(merged_into__isnull=True)
    start, end = year_bounds(year)
    return {
        "new_patients": records.filter(created_at__gte=start, created_at__lt=end).count(),
        "patients_total": records.filter(created_at__lt=end).count(),
    }


def _own_activity(year: int, user) -> dict[str, int | None]:
    """A doctor's own activity, counted directly (a few hundred rows at most): same definitions, narrowed to
    the fiches the doctor signed or requested."""
    start, end = year_bounds(year)
    mine = Q(validated_by=user)
    if user.practitioner_id:
        mine |= Q(registration__requesting_doctor_id=user.practitioner_id)
    fiches = Fiche.objects.filter(mine, validated_at__isnull=False)
    first = fiches.filter(version_number=1)
    held = {meeting_id for meeting_id, starts_at in first.values_list(
        "registration__meeting_id", "registration__meeting__starts_at") if paris_day(starts_at).year == year}
    own_plans = Q(validated_by=user)
    if user.practitioner_id:
        own_plans |= Q(referring_doctor_id=user.practitioner_id)
    plans = CarePlan.objects.filter(own_plans, validated_at__gte=start, validated_at__lt=end)
    in_year = {"validated_at__gte": start, "validated_at__lt": end}
    return {
        "meetings": len(held),
        "fiches": first.filter(**in_year).count(),
        "corrections": fiches.filter(version_number__gt=1, **in_year).count(),
        "pps": plans.filter(kind=CarePlan.Kind.PPS, version_number=1).count(),
        "pps_updates": plans.filter(kind=CarePlan.Kind.PPS, version_number__gt=1).count(),
        "ppac": plans.filter(kind=CarePlan.Kind.PPAC, version_number=1).count(),
        "postponed": None,  # a board's matter, not a doctor's own activity
        "active_users": None, "new_users": None, "new_patients": None, "patients_total": None,
    }
