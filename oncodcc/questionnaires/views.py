"""enableWhen, evaluated on the server on each change of the organ part (htmx): the answer is the set of enabled
items, sent as an HX-Trigger event that app.js applies (show/hide, enable/disable); the inputs stay in place."""

import json

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_POST

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
    record = organ_record(fiche)
    if record is None or not fiche.is_editable:
        return HttpResponse(status=204)
    organ = OrganForm(record.questionnaire.form, request.POST)
    response = HttpResponse(status=200)
    response["HX-Trigger"] = json.dumps({"organ-enabled": {"items": sorted(organ.enabled)}})
    return response
