"""Meeting mode ("mode séance"): one case at a time during the RCP, the fiche (proposal first) beside the case
list, the patient, the history and the received reports with the values read from them; the attendance and the
live quorum in a bar that opens on demand. Saving from here comes back here (`next`)."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from .. import report_proposals
from ..forms.fiche import FicheEditor
from ..models import Meeting, Registration
from ..selectors import fiches as selectors
from ..selectors import projection
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
    if page.registration is not None:
        projection.follow(user=request.user, meeting=page.meeting, registration=page.registration)
    here = request.get_full_path()
    context = {"page": page, "meeting": page.meeting, "registration": page.registration, "here": here,
               "can_open": page.runs_meeting and page.meeting.status == Meeting.Status.PLANNED}
    editor = None
    if page.draft is not None and page.can_edit:
        editor = FicheEditor(fiche=page.draft)
        context.update(editor_context(editor, user=request.user, fiche=page.draft, next_url=here),
                       proposal_first=True)
    context["report_proposals"] = report_proposals.build(page.reports or [], editor)
    return render(request, "rcp/meeting_mode.html", context)


@require_GET
def projection_screen(request, pk: int):
    """The room's screen: the case the chair has open, in large type, following the chair (htmx polling)."""
    try:
        meeting = projection.load_meeting(user=request.user, meeting_id=pk)
    except Meeting.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "rcp/projection.html", {"meeting": meeting,
                                                    "case": projection.projected_case(user=request.user, meeting=meeting)})


@require_GET
def projection_content(request, pk: int):
    """The projected case, polled every few seconds: 204 (nothing to redraw) while the chair stays on the case the
    screen shows (`cas`), so that a case is read, and audited, once per appearance."""
    try:
        meeting = projection.load_meeting(user=request.user, meeting_id=pk)
    except Meeting.DoesNotExist as exc:
        raise Http404 from exc
    if request.GET.get("cas", "") == str(meeting.projected_registration_id or ""):
        return HttpResponse(status=204)
    return render(request, "rcp/_projection_case.html",
                  {"meeting": meeting, "case": projection.projected_case(user=request.user, meeting=meeting)})
