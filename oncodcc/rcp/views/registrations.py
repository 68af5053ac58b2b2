"""Registrations: put a case on a meeting's list, read and edit it, move it, withdraw it, re-register it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from oncodcc.core.locking import ConcurrentEditError
from oncodcc.core.navigation import safe_next
from oncodcc.patients.models import Patient
from oncodcc.patients.policy import EDIT, REGISTER, VIEW_RECORD, has_permission
from oncodcc.trials.services import possible_trials

from ..forms.organisation import (
    REGISTRATION_HORIZON_DAYS,
    MoveForm,
    RegistrationEditForm,
    RegistrationForm,
    WithdrawForm,
    add_service_errors,
    meeting_when,
)
from ..models import Meeting, Registration
from ..policy import works_in_board
from ..selectors import registrations as selectors
from ..services import registrations as services
from .meetings import _int

CONFLICT = ("Cette inscription a été modifiée par quelqu'un d'autre pendant votre saisie. Les valeurs enregistrées "
            "sont affichées ci-dessus ; votre saisie est conservée dans le formulaire : vérifiez-la puis "
            "enregistrez à nouveau.")


def _load(request, pk: int, **kwargs) -> Registration:
    try:
        return selectors.load_registration(user=request.user, registration_id=pk, **kwargs)
    except Registration.DoesNotExist as exc:
        raise Http404 from exc


def _after_write(request, registration: Registration):
    """The meeting page for those who work in the board, otherwise the patient's record."""
    if works_in_board(request.user, registration.meeting.board_id):
        return redirect("rcp:meeting_detail", registration.meeting_id)
    if has_permission(request.user, VIEW_RECORD, registration.patient):
        return redirect("patients:detail", registration.patient_id)
    return redirect("front:home")  # a withdrawn registration was the user's only relation with the patient


def _placed(registration: Registration) -> str:
    return f"{registration.meeting.board.name}, séance du {meeting_when(registration.meeting)}"


# --- create ---

@require_http_methods(["GET", "POST"])
def registration_create(request):
    user = request.user
    if not has_permission(user, REGISTER):
        raise PermissionDenied("L'inscription en RCP est réservée aux médecins et aux secrétaires.")
    patient = meeting = None
    if request.GET.get("meeting"):
        meeting = get_object_or_404(Meeting.objects.select_related("board"), pk=_int(request.GET["meeting"]))
    if request.GET.get("patient"):
        try:
            patient = selectors.patient_for_registration(user=user, patient_id=_int(request.GET["patient"]))
        except Patient.DoesNotExist as exc:
            raise Http404 from exc
    form = None
    if patient is not None:
        outside = not has_permission(user, VIEW_RECORD, patient)
        form = RegistrationForm(request.POST if request.method == "POST" else None,
                                preselected_meeting=meeting, user=user, outside_relations=outside)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                registration = services.register(
                    actor=user, meeting=data["meeting"], patient=patient,
                    requesting_doctor=data["requesting_doctor"], presenting_doctor=data["presenting_doctor"],
                    question=data["question"], case_summary=data["case_summary"],
                    complete_file=data["complete_file"], form_url=data["form_url"],
                    outside_relations_reason=data.get("outside_relations_reason", ""),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"{patient.display_name} est {patient.agree('inscrit', 'inscrite')} à la RCP "
                                          f"{_placed(registration)}.")
                return _after_write(request, registration)
    elif request.method == "POST":
        messages.error(request, "Choisissez d'abord le patient à inscrire.")
    return render(request, "rcp/registration_form.html", {
        "patient": patient, "meeting": meeting, "form": form, "horizon_days": REGISTRATION_HORIZON_DAYS,
    })


# --- detail and edit ---

@require_http_methods(["GET", "POST"])
def registration_detail(request, pk: int):
    form = None
    if request.method == "POST":
        registration = _load(request, pk)
        form = RegistrationEditForm(request.POST, registration=registration)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update(
                    actor=request.user, registration=registration, expected_version=data["lock_version"],
                    question=data["question"], case_summary=data["case_summary"],
                    requesting_doctor=data["requesting_doctor"], presenting_doctor=data["presenting_doctor"],
                    complete_file=data["complete_file"], form_url=data["form_url"],
                )
            except ConcurrentEditError as exc:
                typed = request.POST.copy()
                typed["lock_version"] = str(exc.current_version)
                form = RegistrationEditForm(typed, registration=registration)
                form.is_valid()
                form.add_error(None, CONFLICT)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Inscription enregistrée.")
                return redirect("rcp:registration_detail", registration.pk)
    try:
        page = selectors.get_registration(user=request.user, registration_id=pk)
    except Registration.DoesNotExist as exc:
        raise Http404 from exc
    if form is None and page.can_edit:
        form = RegistrationEditForm(registration=page.registration)
    return render(request, "rcp/registration_detail.html", {
        "page": page, "registration": page.registration, "form": form if page.can_edit else None,
        "trials": possible_trials(user=request.user, registration=page.registration),
    })


# --- move, withdraw, re-register ---

def _editable(request, pk: int, purpose: str) -> Registration | None:
    """The active registration the user may change; None (with a message) when it is no longer active."""
    registration = _load(request, pk, record_view=request.method == "GET", purpose=purpose)
    if not has_permission(request.user, EDIT, registration.patient):
        raise PermissionDenied("Vous ne pouvez pas modifier les inscriptions de ce patient.")
    if not registration.is_active:
        messages.info(request, "Cette inscription n'est plus active (retirée ou déjà reportée).")
        return None
    return registration


@require_http_methods(["GET", "POST"])
def registration_move(request, pk: int):
    registration = _editable(request, pk, "move")
    if registration is None:
        return redirect("rcp:registration_detail", pk)
    form = MoveForm(request.POST if request.method == "POST" else None, registration=registration)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.move(actor=request.user, registration=registration, target=form.cleaned_data["target"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Dossier de {registration.patient.display_name} reporté : {_placed(new)}.")
            return _after_write(request, new)
    return render(request, "rcp/registration_move.html", {"registration": registration, "form": form})


@require_http_methods(["GET", "POST"])
def registration_withdraw(request, pk: int):
    registration = _editable(request, pk, "withdraw")
    if registration is None:
        return redirect("rcp:registration_detail", pk)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw(actor=request.user, registration=registration, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Dossier de {registration.patient.display_name} retiré de la séance.")
            return _after_write(request, registration)
    return render(request, "rcp/registration_withdraw.html", {"registration": registration, "form": form})


@require_POST
def registration_reregister(request, pk: int):
    """The one-click 'réinscrire à la séance suivante' (e.g. quorum not reached when validating the fiche)."""
    registration = _load(request, pk)
    try:
        new = services.reregister_to_next_meeting(actor=request.user, registration=registration)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        target = (safe_next(request) or None)
        return HttpResponseRedirect(target) if target else redirect("rcp:registration_detail", registration.pk)
    messages.success(request, f"Dossier de {registration.patient.display_name} réinscrit : {_placed(new)}.")
    if works_in_board(request.user, new.meeting.board_id):
        return redirect("rcp:meeting_detail", new.meeting_id)
    return redirect("rcp:registration_detail", new.pk)
