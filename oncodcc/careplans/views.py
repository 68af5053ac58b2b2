"""The PPS screens: create from a validated fiche, edit (optimistic locking: HTTP 409), validate, read (audited),
hand over to the patient, new version with a reason. Views parse, call a service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oncodcc.audit.services import Action
from oncodcc.core.locking import ConcurrentEditError
from oncodcc.patients.policy import EDIT, VIEW_RECORD, AccessDenied, has_permission, require
from oncodcc.rcp.models import Fiche

from . import services
from .forms import CarePlanEditor, HandOverForm, NewVersionForm
from .models import CarePlan

DENIED = "Vous n'avez pas accès au dossier de ce patient."
READ_ONLY = "Vous pouvez consulter ce dossier mais pas modifier ses programmes de soins."
CONFLICT = "Ce PPS a été modifié par quelqu'un d'autre pendant votre saisie."

FIELD_LABELS = {
    **{f.name: str(f.verbose_name) for f in CarePlan._meta.get_fields() if hasattr(f, "verbose_name")},
    "treatments": "programme thérapeutique", "contacts": "contacts utiles",
}


def _plan(pk: int) -> CarePlan:
    plan = (CarePlan.objects.select_related("patient", "fiche__registration__meeting", "referring_doctor",
                                            "handed_over_by", "validated_by")
            .filter(pk=pk).first())
    if plan is None:
        raise Http404
    return plan


def _check_edit(request, plan: CarePlan) -> None:
    require(request.user, VIEW_RECORD, plan.patient, purpose=Action.CAREPLAN_UPDATE, obj=plan)
    if not has_permission(request.user, EDIT, plan.patient):
        raise AccessDenied(READ_ONLY)


def _render_form(request, plan: CarePlan, editor: CarePlanEditor, *, status: int = 200,
                 conflict=None) -> HttpResponse:
    return render(request, "careplans/careplan_form.html",
                  {"plan": plan, "editor": editor.prepare_for_render(), "form": editor.form,
                   "conflict": conflict}, status=status)


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# --- create ---

@require_POST
def create_from_fiche(request, fiche_pk: int):
    fiche = Fiche.objects.select_related("patient", "registration__presenting_doctor").filter(pk=fiche_pk).first()
    if fiche is None:
        raise Http404
    referring = request.user.practitioner if request.user.practitioner_id else fiche.registration.presenting_doctor
    try:
        plan = services.create_from_fiche(actor=request.user, fiche=fiche, referring_doctor=referring)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("rcp:fiche_detail", fiche.pk)
    messages.success(request, "PPS créé à partir de la fiche RCP : complétez-le puis validez-le.")
    return redirect("careplans:edit", plan.pk)


# --- edit, save, validate ---

@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    plan = _plan(pk)
    _check_edit(request, plan)
    if not plan.is_editable:
        messages.info(request, "Cette version est validée : elle ne se modifie plus (créez une nouvelle version).")
        return redirect("careplans:detail", plan.pk)
    if request.method == "GET":
        # The form shows the identity and the clinical content: an access like a read.
        services.view(actor=request.user, plan=plan, purpose="edit_form")
        return _render_form(request, plan, CarePlanEditor(plan=plan))

    editor = CarePlanEditor(request.POST, plan=plan)
    if not editor.is_valid():
        return _render_form(request, plan, editor, status=400)
    typed = editor.to_input()
    try:
        saved = services.update(actor=request.user, plan=plan, expected_version=editor.lock_version, data=typed)
    except ConcurrentEditError as exc:
        return _conflict(request, exc)
    except ValidationError as exc:
        editor.add_service_errors(exc)
        return _render_form(request, plan, editor, status=400)
    if request.POST.get("action") != "validate":
        messages.success(request, "PPS enregistré.")
        return redirect("careplans:edit", saved.pk)
    try:
        saved = services.validate(actor=request.user, plan=saved)
    except ValidationError as exc:
        current = _plan(saved.pk)
        data = request.POST.copy()
        data["lock_version"] = str(current.lock_version)
        editor = CarePlanEditor(data, plan=current)
        editor.is_valid()
        editor.add_service_errors(exc)
        messages.warning(request, "PPS enregistré, mais il ne peut pas encore être validé.")
        return _render_form(request, current, editor, status=400)
    messages.success(request, "PPS validé.")
    return redirect("careplans:detail", saved.pk)


def _conflict(request, exc: ConcurrentEditError) -> HttpResponse:
    """HTTP 409: the form keeps what was typed and now carries the current version (saving again overwrites
    knowingly); the fields changed meanwhile are listed."""
    current = _plan(int(request.resolver_match.kwargs["pk"]))
    data = request.POST.copy()
    data["lock_version"] = str(current.lock_version)
    data.pop("action", None)
    editor = CarePlanEditor(data, plan=current)
    editor.is_valid()
    changed = sorted({FIELD_LABELS.get(name, name) for name in exc.changes})
    conflict = {"message": CONFLICT, "changed": changed, "current_version": current.lock_version}
    return _render_form(request, current, editor, status=409, conflict=conflict)


# --- read, hand over, new version ---

def _detail_context(request, plan: CarePlan, *, hand_over_form=None, new_version_form=None) -> dict:
    versions = list(CarePlan.objects.filter(set_id=plan.set_id).select_related("validated_by")
                    .order_by("version_number"))
    can_edit = has_permission(request.user, EDIT, plan.patient)
    has_draft = any(v.status == CarePlan.Status.DRAFT for v in versions)
    return {
        "plan": plan, "versions": versions, "can_edit": can_edit,
        "treatments": list(plan.treatments.all()), "contacts": list(plan.contacts.all()),
        "can_hand_over": can_edit and plan.status != CarePlan.Status.SUPERSEDED,
        "can_new_version": can_edit and plan.status == CarePlan.Status.VALIDATED and not has_draft,
        "hand_over_form": hand_over_form or HandOverForm(initial={
            "handed_over_at": plan.handed_over_at, "handed_over_by": plan.handed_over_by_id
            or request.user.practitioner_id}),
        "new_version_form": new_version_form or NewVersionForm(),
    }


@require_GET
def detail(request, pk: int):
    plan = _plan(pk)
    services.view(actor=request.user, plan=plan)
    return render(request, "careplans/careplan_detail.html", _detail_context(request, plan))


@require_POST
def hand_over(request, pk: int):
    plan = _plan(pk)
    _check_edit(request, plan)
    form = HandOverForm(request.POST)
    if form.is_valid():
        try:
            services.hand_over(actor=request.user, plan=plan, date=form.cleaned_data["handed_over_at"],
                               by=form.cleaned_data["handed_over_by"])
        except ValidationError as exc:
            if "status" in exc.message_dict:  # the plan moved on (superseded): the form is no longer shown
                _errors(request, exc)
                return redirect("careplans:detail", plan.pk)
            for name, msgs in exc.message_dict.items():
                for m in msgs:
                    form.add_error(name if name in form.fields else None, m)
        else:
            messages.success(request, "Remise du PPS au patient enregistrée.")
            return redirect("careplans:detail", plan.pk)
    return render(request, "careplans/careplan_detail.html",
                  _detail_context(request, plan, hand_over_form=form), status=400)


@require_POST
def new_version(request, pk: int):
    plan = _plan(pk)
    _check_edit(request, plan)
    form = NewVersionForm(request.POST)
    if form.is_valid():
        try:
            new = services.new_version(actor=request.user, plan=plan, reason_code=form.cleaned_data["reason_code"],
                                       reason_text=form.cleaned_data["reason_text"])
        except ValidationError as exc:
            if "status" in exc.message_dict:  # not the current validated version, or a draft already exists
                _errors(request, exc)
                return redirect("careplans:detail", plan.pk)
            names = {"update_reason": "reason_code", "update_reason_text": "reason_text"}
            for name, msgs in exc.message_dict.items():
                for m in msgs:
                    form.add_error(names.get(name), m)
        else:
            messages.success(request, f"Version {new.version_number} créée : faites la mise à jour puis validez-la.")
            return redirect(reverse("careplans:edit", args=[new.pk]))
    return render(request, "careplans/careplan_detail.html",
                  _detail_context(request, plan, new_version_form=form), status=400)


@require_POST
def create_ppac(request, pk: int):
    """The after-cancer plan, from the validated PPS once active treatment has ended."""
    plan = _plan(pk)
    _check_edit(request, plan)
    try:
        ppac = services.create_ppac(actor=request.user, plan=plan)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("careplans:detail", plan.pk)
    messages.success(request, "PPAC ouvert à partir du PPS : complétez le suivi avec le médecin traitant, puis validez.")
    return redirect("careplans:edit", ppac.pk)
