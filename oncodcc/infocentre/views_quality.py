"""Quality indicators (/statistiques/qualite/) and their exports: same year and scope selection, same rights and
small-count suppression as le DCC en chiffres. Only aggregates."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from oncodcc.audit import services as audit
from oncodcc.core.policy import has_permission

from . import exports, policy, quality
from .views import ACTION_EXPORT, CONTENT_TYPES, Selection, select

DELAYS = [("to_meeting", "Délai inscription → séance"), ("to_fiche", "Délai séance → fiche validée"),
          ("to_pps", "Délai fiche validée → PPS remis")]
SHARES = [("quorum", "Quorum atteint"), ("complete", "Items INCa complets"), ("trial", "Essai clinique proposé"),
          ("off_guideline", "Hors référentiel")]


def _grouping(request) -> str:
    grouping = request.GET.get("par") or "rcp"
    if grouping not in quality.GROUPINGS:
        raise Http404("Regroupement inconnu.")
    return grouping


def _compute(request) -> tuple[Selection, quality.QualityTable]:
    selection = select(request)
    if selection.scope.kind == "mine":
        raise Http404("Les indicateurs de qualité portent sur des RCP, pas sur l'activité personnelle.")
    return selection, quality.compute(year=selection.year, scope=selection.scope, grouping=_grouping(request))


def table_of(result: quality.QualityTable) -> exports.Table:
    C = exports.Column
    columns = [C("label", quality.GROUPINGS[result.grouping], "label"),
               C("registered", "Dossiers inscrits"), C("discussed", "Discutés"), C("recorded", "Enregistrés"),
               C("postponed", "Reportés"), C("withdrawn", "Retirés"), C("fiches", "Fiches")]
    for key, label in SHARES:
        columns += [C(key, f"{label} (fiches)"), C(f"{key}_pct", f"{label} (%)", "derived", (key, "fiches"))]
    for key, label in DELAYS:
        columns += [C(f"{key}_n", f"{label} : fiches mesurées"),
                    C(f"{key}_median", f"{label} : médiane (jours)", "derived", (f"{key}_n",)),
                    C(f"{key}_p90", f"{label} : 90ᵉ centile (jours)", "derived", (f"{key}_n",))]
    columns += [C("repeat", "Patients présentés plusieurs fois"),
                C("repeat_pct", "Patients présentés plusieurs fois (%)", "derived", ("repeat", "patients")),
                C("patients", "Patients des fiches")]
    for channel in quality.CHANNELS:
        columns += [C(f"sent_{channel}", f"Envois délivrés {channel.label}"),
                    C(f"dead_{channel}", f"Envois abandonnés {channel.label}")]

    def row(r: quality.Row) -> dict:
        out = {"label": r.label, **{k: getattr(r, k) for k in ("registered", "discussed", "recorded", "postponed",
                                                                "withdrawn", "fiches")}}
        for key, _ in SHARES:
            out[key] = getattr(r, key)
            out[f"{key}_pct"] = r.share(getattr(r, key))
        for key, _ in DELAYS:
            delays = getattr(r, key)
            out |= {f"{key}_n": delays.count, f"{key}_median": delays.median, f"{key}_p90": delays.p90}
        out |= {"repeat": r.repeat_patients, "repeat_pct": r.repeat_share, "patients": r.patients}
        for channel in quality.CHANNELS:
            out |= {f"sent_{channel}": r.delivered[channel], f"dead_{channel}": r.dead[channel]}
        return out

    notes = [f"{label} : {definition}" for label, definition in quality.DEFINITIONS]
    return exports.Table(f"indicateurs-qualite-{result.year}",
                         f"Indicateurs de qualité des RCP — {result.year} — {result.scope.title}",
                         columns, [*map(row, result.rows), row(result.total)], notes)


def _chart(result: quality.QualityTable) -> dict:
    return {"type": "bar", "labels": [r.label for r in result.rows],
            "series": [{"label": f"{label} (%)", "data": [r.share(getattr(r, key)) for r in result.rows]}
                       for key, label in SHARES[:3]]}


def _page_rows(table: exports.Table) -> tuple[list[str], list[list]]:
    """The page's compact table: counts, then "value (share)" cells, delays as "median / p90"."""
    headers = ["Inscrits", "Discutés", "Enregistrés", "Reportés", "Retirés", "Fiches",
               *[label for _, label in SHARES[:2]], *[label for _, label in DELAYS],
               *[label for _, label in SHARES[2:]], "Patients présentés plusieurs fois",
               *[f"Envois {c.label}" for c in quality.CHANNELS]]
    rows = []
    for r in table.rows:
        cells = [r[k] for k in ("registered", "discussed", "recorded", "postponed", "withdrawn", "fiches")]
        cells += [(r[k], r[f"{k}_pct"]) for k, _ in SHARES[:2]]
        cells += [(r[f"{k}_median"], r[f"{k}_p90"], r[f"{k}_n"]) for k, _ in DELAYS]
        cells += [(r[k], r[f"{k}_pct"]) for k, _ in SHARES[2:]]
        cells += [(r["repeat"], r["repeat_pct"])]
        cells += [(r[f"sent_{c}"], r[f"dead_{c}"]) for c in quality.CHANNELS]
        rows.append([r["label"], *cells])
    return headers, rows


@require_GET
def quality_page(request):
    selection, result = _compute(request)
    headers, rows = _page_rows(table_of(result))
    return render(request, "infocentre/quality.html", {
        "selection": selection, "result": result, "tab": "quality", "chart_quality": _chart(result),
        "headers": headers, "rows": rows,
        "definitions": quality.DEFINITIONS, "groupings": quality.GROUPINGS, "channels": quality.CHANNELS,
        "query": f"{selection.query}&par={result.grouping}", "shares": SHARES, "delays": DELAYS,
    })


@require_GET
def quality_export(request, fmt: str):
    if fmt not in CONTENT_TYPES:
        raise Http404("Format inconnu.")
    selection, result = _compute(request)
    data = table_of(result)
    if not has_permission(request.user, policy.EXPORT_UNSUPPRESSED):
        data = exports.suppress(data)
    body = exports.to_csv(data) if fmt == "csv" else exports.to_xlsx(data)
    audit.record(actor=request.user, action=ACTION_EXPORT,
                 details={"table": "qualite", "format": fmt, "year": selection.year, "scope": selection.scope.token,
                          "grouping": result.grouping, "rows": len(data.rows), "suppressed": data.suppressed})
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{data.name}.{fmt}"'
    return response
