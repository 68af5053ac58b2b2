"""Le DCC en chiffres (/statistiques/), the activity per territory, and their exports. Thin: parse the year and
the scope, ask the policy, call the figures, render. Only aggregates: no patient, no clinical text."""

from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from oncodcc.audit import services as audit
from oncodcc.core.policy import AccessDenied, has_permission, require
from oncodcc.rcp.models import PARIS

from . import activity, exports, figures, policy, scopes
from .scopes import Scope

ACTION_EXPORT = "infocentre.export"
FIRST_YEAR = 2000
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class Selection:
    year: int
    scope: Scope
    offered: list[Scope]
    years: list[int]

    @property
    def query(self) -> str:
        return f"annee={self.year}&perimetre={self.scope.token}"


def current_year() -> int:
    return timezone.localtime(timezone.now(), PARIS).year


def select(request) -> Selection:
    """The year and the scope asked for; 403 (AccessDenied) outside the user's rights, 404 when unknown."""
    user = request.user
    default = policy.default_scope(user)
    if default is None:
        raise AccessDenied("Les statistiques sont réservées aux administrateurs DSRC et 3C, aux coordonnateurs "
                           "et aux médecins (leur propre activité).")
    this_year = current_year()
    raw_year = request.GET.get("annee") or str(this_year)
    if not raw_year.isdigit() or not FIRST_YEAR <= int(raw_year) <= this_year:
        raise Http404("Année hors de la plage des statistiques.")
    token = request.GET.get("perimetre")
    try:
        scope = scopes.parse(token, user=user) if token else default
    except scopes.ScopeError as exc:
        raise Http404(str(exc)) from exc
    require(user, policy.VIEW, scope, message="Ce périmètre ne fait pas partie de vos droits.")
    offered = policy.selectable_scopes(user)
    return Selection(int(raw_year), scope, offered, list(range(this_year, FIRST_YEAR - 1, -1))[:15])


def _chart_figures(result: figures.Figures) -> dict:
    shown = [f for f in result.main if f.value is not None]
    return {"type": "bar", "labels": [f.label for f in shown],
            "series": [{"label": str(result.year - 1), "data": [f.previous for f in shown]},
                       {"label": str(result.year), "data": [f.value for f in shown]}]}


def _chart_monthly(months: list[dict]) -> dict:
    return {"type": "line", "labels": [m.capitalize() for m in exports.MONTHS],
            "series": [{"label": "Séances tenues", "data": [m["meetings"] for m in months]},
                       {"label": "Fiches RCP", "data": [m["fiches"] for m in months]},
                       {"label": "PPS", "data": [m["pps"] for m in months]}]}


@require_GET
def figures_page(request):
    selection = select(request)
    result = figures.compute(year=selection.year, scope=selection.scope)
    months = figures.monthly(year=selection.year, scope=selection.scope)
    return render(request, "infocentre/figures.html", {
        "selection": selection, "result": result, "months": months,
        "month_table": exports.monthly_table(selection.year, selection.scope.title, months),
        "note": figures.SCOPE_NOTES.get(selection.scope.kind, ""),
        "chart_figures": _chart_figures(result), "chart_monthly": _chart_monthly(months),
        "tab": "figures",
    })


def _activity(selection: Selection) -> activity.ActivityTable:
    if selection.scope.kind == "mine":
        raise Http404("Le tableau par territoire ne porte pas sur l'activité personnelle.")
    return activity.table(year=selection.year, scope=selection.scope)


@require_GET
def activity_page(request):
    selection = select(request)
    table = _activity(selection)
    chart = {"type": "bar", "stacked": True, "labels": [r.label for r in table.rows],
             "series": [{"label": "Fiches RCP produites dans OncoDCC", "data": [r.fiches for r in table.rows]},
                        {"label": "Comptes rendus déclarés hors OncoDCC", "data": [r.declared for r in table.rows]}]}
    return render(request, "infocentre/activity.html", {
        "selection": selection, "table": table, "chart_activity": chart, "tab": "activity",
        "columns": activity.COLUMNS,
    })


@require_GET
def export(request, table: str, fmt: str):
    if fmt not in CONTENT_TYPES:
        raise Http404("Format inconnu.")
    selection = select(request)
    if table == "chiffres":
        data = exports.figures_table(figures.compute(year=selection.year, scope=selection.scope))
    elif table == "mois":
        data = exports.monthly_table(selection.year, selection.scope.title,
                                     figures.monthly(year=selection.year, scope=selection.scope))
    elif table == "activite":
        data = exports.activity_table(_activity(selection))
    else:
        raise Http404("Tableau inconnu.")
    if not has_permission(request.user, policy.EXPORT_UNSUPPRESSED):
        data = exports.suppress(data)
    body = exports.to_csv(data) if fmt == "csv" else exports.to_xlsx(data)
    audit.record(actor=request.user, action=ACTION_EXPORT,
                 details={"table": table, "format": fmt, "year": selection.year, "scope": selection.scope.token,
                          "rows": len(data.rows), "suppressed": data.suppressed})
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{data.name}.{fmt}"'
    return response
