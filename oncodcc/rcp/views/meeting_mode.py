"""Meeting mode ("mode séance"): one case at a time during the RCP, the fiche in the centre, the attendance and
the live quorum on the side. Saving from here comes back here (`next`)."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from ..forms.fiche import FicheEditor
from ..models import Meeting, Registration
from ..selectors import fiches as selectors
from .fiches import editor_context

DENIED = "Le mode séance est réservé aux membres, au secrétariat et au 3C de la RCP."


@require_GET
def start(request, pk: int):
    """The first case of the meeting."""
    return redirect("rcp:meeting_mode_case", pk, 1)


@require_GET
def case(request, pk: int, position: int):
    try:
        page = selectors.meeting_mode_case(user=request.user, meeting_id=pk, position=position)
    except (Meeting.DoesNotExist, Registration.DoesNotExist) as exc:
        raise Http404 from exc
    here = request.get_full_path()
    context = {"page": page, "meeting": page.meeting, "registration": page.registration, "here": here,
               "can_open": page.runs_meeting and page.meeting.status == Meeting.Status.PLANNED}
    if page.draft is not None and page.can_edit:
        context.update(editor_context(FicheEditor(fiche=page.draft), user=request.user, fiche=page.draft,
                                      next_url=here), proposal_first=True)
    return render(request, "rcp/meeting_mode.html", context)
