"""The search over fiches (/infocentre/recherche/), its exports and the saved searches. Thin: parse the
criteria, call `search`, render. The policy and the audit live in `search`."""

from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import require

from . import exports, policy, search
from .models import SavedSearch
from .search_form import CRITERIA, SearchForm
from .views import CONTENT_TYPES

NAME_MAX = 100


def _criteria_query(form: SearchForm) -> str:
    """The query string of the valid criteria (saved searches, export links), page left out."""
    return urlencode([(name, form.data[name]) for name in CRITERIA if form.data.get(name)])


def _page_number(request) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() else 1


@require_GET
def search_page(request):
    require(request.user, policy.SEARCH, message="La recherche dans les fiches n'est pas ouverte à votre rôle.")
    form = SearchForm(request.GET or None)
    result = None
    if form.is_bound and form.is_valid() and form.has_criteria:
        result = search.run(actor=request.user, form=form, page=_page_number(request))
    return render(request, "infocentre/search.html", {
        "form": form, "result": result, "query": _criteria_query(form) if form.is_bound else "",
        "saved": SavedSearch.objects.filter(owner=request.user),
        "pseudonymised": search.pseudonymises(request.user),
    })


def _table(result: search.Result, form: SearchForm) -> exports.Table:
    identified = not result.pseudonymised
    keys = [("meeting_date", "Date de la séance"), ("board", "RCP"),
            ("patient", "Patient" if identified else "Pseudonyme"),
            *([("ins", "Matricule INS")] if identified else []),
            ("birth", "Date de naissance" if identified else "Année de naissance"), ("sex", "Sexe"),
            ("organs", "Organe(s)"), ("topography", "Topographie (CIM-10)"), ("morphology", "Morphologie (CIM-O-3)"),
            ("stage", "Stade"), ("markers", "Marqueurs (formulaire d'organe)"), ("treatments", "Traitements proposés"),
            ("trial", "Essai clinique proposé"), ("version", "Version de la fiche"), ("excerpt_text", "Extrait")]
    columns = [exports.Column(key, label, "label") for key, label in keys]
    rows = [{key: getattr(row, key) for key, _ in keys} for row in result.rows]
    notes = ["Critères : " + (" ; ".join(form.labelled_summary()) or "aucun"),
             ngettext("%(n)d fiche exportée (dernière version validée de chaque fiche).",
                      "%(n)d fiches exportées (dernière version validée de chaque fiche).", len(rows)) % {"n": len(rows)},
             *result.notes]
    if result.pseudonymised:
        notes.append("Données pseudonymisées : ni nom ni INS, année de naissance seule ; le pseudonyme est stable "
                     "(HMAC à clé de l'établissement) ; les noms du patient sont masqués dans les extraits.")
    name = "recherche-fiches-pseudonymisee" if result.pseudonymised else "recherche-fiches"
    return exports.Table(name, "Recherche dans les fiches RCP", columns, rows, notes)


@require_GET
def search_export(request, fmt: str):
    if fmt not in CONTENT_TYPES:
        raise Http404("Format inconnu.")
    require(request.user, policy.SEARCH, message="La recherche dans les fiches n'est pas ouverte à votre rôle.")
    form = SearchForm(request.GET)
    if not form.is_valid() or not form.has_criteria:
        return HttpResponse("Critères de recherche invalides ou absents : rien n'a été exporté.", status=400,
                            content_type="text/plain; charset=utf-8")
    table = _table(search.export_rows(actor=request.user, form=form), form)
    body = exports.to_csv(table) if fmt == "csv" else exports.to_xlsx(table)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{table.name}.{fmt}"'
    return response


@require_POST
def save_search(request):
    require(request.user, policy.SEARCH, message="La recherche dans les fiches n'est pas ouverte à votre rôle.")
    name = " ".join(request.POST.get("name", "").split())
    form = SearchForm(request.POST)
    back = reverse("infocentre_search:search")
    if not form.is_valid() or not form.has_criteria:
        messages.error(request, "Seule une recherche valide, avec au moins un critère, peut être enregistrée.")
        return redirect(back)
    query = _criteria_query(form)
    if not name or len(name) > NAME_MAX:
        messages.error(request, f"Donnez un nom à la recherche (1 à {NAME_MAX} caractères).")
        return redirect(f"{back}?{query}")
    with transaction.atomic():
        saved, created = SavedSearch.objects.update_or_create(owner=request.user, name=name,
                                                              defaults={"query": query})
        audit.record(actor=request.user, action=Action.SAVED_SEARCH_CREATE, obj=saved,
                     details={"replaced": not created, "criteria": form.summary()})
    messages.success(request, f"Recherche « {name} » enregistrée." if created else f"Recherche « {name} » mise à jour.")
    return redirect(f"{back}?{query}")


@require_POST
def delete_saved_search(request, pk: int):
    saved = get_object_or_404(SavedSearch, pk=pk, owner=request.user)  # another user's: 404, never revealed
    with transaction.atomic():
        audit.record(actor=request.user, action=Action.SAVED_SEARCH_DELETE, obj=saved, details={"name": saved.name})
        saved.delete()
    messages.success(request, f"Recherche « {saved.name} » supprimée.")
    return redirect("infocentre_search:search")
