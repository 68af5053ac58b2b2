"""The organ part of the fiche form, re-rendered on each change (htmx) so that enableWhen applies at once."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from oncodcc.patients.access import AccessDenied
from oncodcc.rcp.forms.fiche import organ_record
from oncodcc.rcp.models import Fiche
from oncodcc.rcp.selectors import fiches as fiche_selectors

from .forms import OrganForm


@require_POST
def organ_part(request, pk: int):
    try:
        fiche = fiche_selectors.load_fiche(user=request.user, fiche_id=pk)
    except Fiche.DoesNotExist as exc:
        raise Http404 from exc
    except AccessDenied as exc:
        raise PermissionDenied("Vous n'avez pas accès au dossier de ce patient.") from exc
    record = organ_record(fiche)
    if record is None or not fiche.is_editable:
        return HttpResponse(status=204)
    organ = OrganForm(record.questionnaire.form, request.POST)
    organ.is_valid()
    return render(request, "questionnaires/_organ_part.html", {"organ": organ, "record": record, "fiche": fiche})
