"""The calendar, the secretary's meeting page and its actions (status, attendance, order of the cases)."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oncodcc.core.navigation import safe_next
from oncodcc.core.policy import has_permission
from oncodcc.directory.models import Practitioner

from ..forms.closing import ClosingForm
from ..forms.organisation import (
    DirectoryGuestForm,
    GuestForm,
    MeetingCreateForm,
    add_service_errors,
    meeting_when,
)
from ..models import Attendance, Board, Meeting, Registration
from ..policy import ORGANISE_BOARD
from ..selectors import closing as closing_selectors
from ..selectors import meetings as selectors
from ..services import closing as closing_services
from ..services import meetings as meeting_services
from ..services import registrations as registration_services
from .boards import board_page_context

# Weeks the calendar shows (beyond, date arithmetic in Europe/Paris would overflow).
CALENDAR_YEARS = (1990, 2200)


def _int(value) -> int:
    """A positive id from user input, or 404."""
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 18:
        raise Http404
    return int(text)


def _meeting_for(request, pk: int) -> Meeting:
    try:
        return selectors.load_meeting(user=request.user, meeting_id=pk)
    except Meeting.DoesNotExist as exc:
        raise Http404 from exc


# --- calendar ---

@require_GET
def calendar(request):
    week_of = None
    raw = request.GET.get("semaine", "")
    if raw:
        try:
            week_of = date.fromisoformat(raw)
        except ValueError:
            week_of = None
        if week_of is None or not CALENDAR_YEARS[0] <= week_of.year <= CALENDAR_YEARS[1]:
            week_of = None
            messages.warning(request, "Date de semaine invalide : affichage de la semaine en cours.")
    show_all = request.GET.get("toutes") == "1"
    week = selectors.calendar_week(user=request.user, week_of=week_of, show_all=show_all)
    return render(request, "rcp/calendar.html", {"week": week})


# --- meetings ---

@require_http_methods(["GET", "POST"])
def meeting_create(request, board_pk: int):
    board = get_object_or_404(Board.objects.select_related("managing_3c"), pk=board_pk)
    if not has_permission(request.user, ORGANISE_BOARD, board):
        raise PermissionDenied("Seuls le coordonnateur, le secrétariat et le 3C organisent les séances.")
    form = MeetingCreateForm(request.POST if request.method == "POST" else None, initial={"time": board.start_time})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = meeting_services.create_meeting(
                actor=request.user, board=board, starts_at=form.starts_at(), place=form.cleaned_data["place"],
                video_url=form.cleaned_data["video_url"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Séance ponctuelle créée le {meeting_when(meeting)}.")
            return redirect("rcp:meeting_detail", meeting.pk)
    return render(request, "rcp/meeting_form.html", board_page_context(request, board.pk, meeting_form=form))


@require_GET
def meeting_detail(request, pk: int):
    try:
        page = selectors.get_meeting_page(user=request.user, meeting_id=pk)
    except Meeting.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "rcp/meeting_detail.html", {
        "page": page, "meeting": page.meeting, "panel": page.panel,
        "guest_form": GuestForm(), "directory_form": DirectoryGuestForm(candidates=page.panel.candidates),
    })


@require_POST
def meeting_status(request, pk: int):
    meeting = _meeting_for(request, pk)
    status = request.POST.get("status", "")
    if status == Meeting.Status.CLOSED and meeting.status == Meeting.Status.OPEN:
        # Closing decides first what becomes of the undiscussed cases.
        return redirect("rcp:meeting_close", meeting.pk)
    if status not in Meeting.Status.values:
        messages.error(request, "Statut de séance inconnu.")
        return redirect("rcp:meeting_detail", meeting.pk)
    try:
        meeting = meeting_services.set_status(actor=request.user, meeting=meeting, status=status)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Séance {meeting.get_status_display()}.")
    # From the meeting mode, "Ouvrir la séance" comes back to the case being shown.
    return redirect(safe_next(request) or reverse("rcp:meeting_detail", args=[meeting.pk]))


# --- attendance panel ---

def _render_panel(request, meeting: Meeting, *, guest_form=None, directory_form=None, errors=(),
                  preserve_forms=False):
    panel = selectors.attendance_panel(meeting=meeting, can_edit=selectors.meeting_rights(request.user, meeting).runs)
    return render(request, "rcp/_attendance_panel.html", {
        "meeting": meeting, "panel": panel, "panel_errors": list(errors), "preserve_forms": preserve_forms,
        "guest_form": guest_form or GuestForm(),
        "directory_form": directory_form or DirectoryGuestForm(candidates=panel.candidates),
    })


@require_GET
def attendance_panel(request, pk: int):
    """The panel alone: refreshed by htmx on the meeting page and in meeting mode (no patient data)."""
    return _render_panel(request, _meeting_for(request, pk), preserve_forms=True)


@require_POST
def attendance(request, pk: int):
    """present / absent for a permanent member, add a guest (typed or from the directory), remove a presence."""
    meeting = _meeting_for(request, pk)
    action = request.POST.get("action", "")
    guest_form = directory_form = None
    errors: list[str] = []
    try:
        if action == "present":
            practitioner = get_object_or_404(Practitioner, pk=_int(request.POST.get("practitioner")))
            present = request.POST.get("present") in {"on", "1", "true"}
            meeting_services.set_present(actor=request.user, meeting=meeting, practitioner=practitioner,
                                         present=present)
        elif action == "guest":
            guest_form = GuestForm(request.POST)
            if guest_form.is_valid():
                data = guest_form.cleaned_data
                try:
                    meeting_services.add_guest(actor=request.user, meeting=meeting, name=data["guest_name"],
                                               specialty=data["specialty"], is_doctor=data["is_doctor"])
                    guest_form = None
                except ValidationError as exc:
                    add_service_errors(guest_form, exc)
        elif action == "directory":
            directory_form = DirectoryGuestForm(request.POST, candidates=selectors.guest_candidates(meeting))
            if directory_form.is_valid():
                try:
                    meeting_services.add_guest(actor=request.user, meeting=meeting, name="",
                                               practitioner=directory_form.cleaned_data["practitioner"])
                    directory_form = None
                except ValidationError as exc:
                    add_service_errors(directory_form, exc)
        elif action == "remove":
            presence = get_object_or_404(Attendance.objects.select_related("meeting__board"),
                                         pk=_int(request.POST.get("attendance")), meeting=meeting)
            meeting_services.remove_attendance(actor=request.user, attendance=presence)
        else:
            errors.append("Action inconnue.")
    except ValidationError as exc:
        errors.extend(exc.messages)
    if request.htmx:
        return _render_panel(request, meeting, guest_form=guest_form, directory_form=directory_form, errors=errors)
    for form in (guest_form, directory_form):
        if form is not None and form.errors:
            errors.extend(str(e) for field_errors in form.errors.values() for e in field_errors)
    for message in errors:
        messages.error(request, message)
    return redirect(f"{_meeting_url(meeting)}#presences")


def _meeting_url(meeting: Meeting) -> str:
    return reverse("rcp:meeting_detail", args=[meeting.pk])


# --- order of the cases ---

@require_POST
def reorder(request, pk: int):
    """Move one case up or down; htmx swaps the case list partial."""
    meeting = _meeting_for(request, pk)
    if not has_permission(request.user, ORGANISE_BOARD, meeting.board):
        raise PermissionDenied("L'ordre de passage est tenu par le secrétariat et le coordonnateur de la RCP.")
    registration = get_object_or_404(
        Registration.objects.select_related("meeting__board"),
        pk=_int(request.POST.get("registration")), meeting=meeting, status__in=Registration.ACTIVE_STATUSES,
    )
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    errors: list[str] = []
    if offset is None:
        errors.append("Sens de déplacement inconnu.")
    else:
        try:
            registration_services.move_in_list(actor=request.user, registration=registration, offset=offset)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if request.htmx:
        cases, _inactive = selectors.case_list(meeting)
        return render(request, "rcp/_case_list.html", {
            "meeting": meeting, "cases": cases, "rights": selectors.meeting_rights(request.user, meeting),
            "list_errors": errors,
        })
    for message in errors:
        messages.error(request, message)
    return redirect(f"{_meeting_url(meeting)}#dossiers")


# --- closing ---

@require_http_methods(["GET", "POST"])
def meeting_close(request, pk: int):
    """Closing: each undiscussed case postponed, withdrawn or kept, then the meeting closed (one transaction)."""
    try:
        page = closing_selectors.closing_page(user=request.user, meeting_id=pk)
    except Meeting.DoesNotExist as exc:
        raise Http404 from exc
    meeting = page.meeting
    if meeting.status != Meeting.Status.OPEN:
        messages.info(request, "Seule une séance en cours se clôture.")
        return redirect(_meeting_url(meeting))
    form = ClosingForm(request.POST if request.method == "POST" else None, meeting=meeting, cases=page.cases,
                       later=page.later)
    status = 200
    if request.method == "POST":
        if not page.sees_cases and page.hidden_case_count:
            raise PermissionDenied("Des dossiers restent à traiter : la clôture revient au secrétariat ou aux "
                                   "médecins de la RCP.")
        if form.is_valid():
            try:
                closing = closing_services.close(
                    actor=request.user, meeting=meeting, decisions=form.decisions(),
                    target=form.target_meeting(), new_target_at=form.new_target_at(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied:
                if form.new_target_at() is None or not page.sees_cases:
                    raise
                # A member who runs the meeting may close it, but only the board's staff create meetings.
                form.add_error("new_date", "Seuls le coordonnateur et le secrétariat de la RCP créent une séance : "
                                           "choisissez une séance planifiée ou demandez-leur d'en créer une.")
            else:
                messages.success(request, closing_message(closing))
                return redirect(_meeting_url(meeting))
        status = 400
    return render(request, "rcp/meeting_close.html", {"page": page, "meeting": meeting, "form": form},
                  status=status)


def closing_message(closing) -> str:
    parts = ["Séance clôturée."]
    if closing.postponed:
        n = len(closing.postponed)
        parts.append(ngettext("%(n)d dossier reporté à la séance du %(when)s.",
                              "%(n)d dossiers reportés à la séance du %(when)s.", n)
                     % {"n": n, "when": meeting_when(closing.target)})
    if closing.withdrawn:
        n = len(closing.withdrawn)
        parts.append(ngettext("%(n)d dossier retiré.", "%(n)d dossiers retirés.", n) % {"n": n})
    if closing.kept:
        n = len(closing.kept)
        parts.append(ngettext("%(n)d dossier laissé sur la séance, fiche à finaliser.",
                              "%(n)d dossiers laissés sur la séance, fiches à finaliser.", n) % {"n": n})
    return " ".join(parts)
