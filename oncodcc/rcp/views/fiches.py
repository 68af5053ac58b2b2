"""The fiche RCP screens: start, edit (optimistic locking: HTTP 409 with what changed), validate (sign),
read, print, correct (new version). Views parse, call a selector or a service, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oncodcc.audit.services import Action
from oncodcc.core.locking import ConcurrentEditError
from oncodcc.core.navigation import safe_next
from oncodcc.core.policy import has_permission

from .. import report_proposals
from ..forms.fiche import SUGGESTION_LISTS, FicheEditor, code_datalists, code_suggestions, conflict_rows
from ..models import Fiche, Registration
from ..policy import SIGN_FICHE
from ..selectors import fiches as selectors
from ..services import fiches as services
from ..services.fiches import FicheInput, FicheValidationError

DENIED = "Vous n'avez pas accès au dossier de ce patient."
READ_ONLY = "Vous pouvez consulter ce dossier mais pas modifier ses fiches RCP."
CONFLICT = "Cette fiche a été modifiée par quelqu'un d'autre pendant votre saisie."


def _load(request, pk: int) -> Fiche:
    """The fiche for a write (access checked; the service's write is audited)."""
    try:
        return selectors.load_fiche(user=request.user, fiche_id=pk)
    except Fiche.DoesNotExist as exc:
        raise Http404 from exc


def _page(request, pk: int, purpose: str) -> selectors.FichePage:
    try:
        return selectors.fiche_page(user=request.user, fiche_id=pk, purpose=purpose)
    except Fiche.DoesNotExist as exc:
        raise Http404 from exc


def editor_context(editor: FicheEditor, *, user, fiche: Fiche, next_url: str = "", conflict=None,
                   can_reregister: bool = False) -> dict:
    """What `_fiche_form_fields.html` needs (also used by the meeting mode)."""
    return {
        "editor": editor.prepare_for_render(), "form": editor.form, "fiche": fiche, "next": next_url,
        "conflict": conflict, "can_reregister": can_reregister, "code_datalists": code_datalists(),
        "can_sign": has_permission(user, SIGN_FICHE, fiche),
    }


def _render_form(request, fiche: Fiche, editor: FicheEditor, *, status: int = 200, conflict=None,
                 can_reregister: bool = False) -> HttpResponse:
    context = editor_context(editor, user=request.user, fiche=fiche, next_url=safe_next(request),
                             conflict=conflict, can_reregister=can_reregister)
    reports = selectors.received_reports(fiche.patient_id)
    context.update(registration=fiche.registration, meeting=fiche.registration.meeting,
                   self_url=request.get_full_path(), reports=reports,
                   report_proposals=report_proposals.build(reports, editor))
    return render(request, "rcp/fiche_form.html", context, status=status)


def _after_write(request, default: str) -> HttpResponse:
    return redirect(safe_next(request) or default)


# --- start ---

@require_POST
def fiche_start(request, pk: int):
    """The draft fiche of a registration (created on first use), then its form (or back to `next`)."""
    registration = Registration.objects.select_related("patient", "meeting__board").filter(pk=pk).first()
    if registration is None:
        raise Http404
    try:
        fiche = services.start(actor=request.user, registration=registration)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(safe_next(request) or reverse("rcp:registration_detail", args=[registration.pk]))
    return _after_write(request, reverse("rcp:fiche_edit", args=[fiche.pk]))


# --- edit, save, validate ---

@require_http_methods(["GET", "POST"])
def fiche_edit(request, pk: int):
    if request.method == "GET":
        try:
            fiche = selectors.get_fiche(user=request.user, fiche_id=pk, purpose=Action.FICHE_VIEW)
        except Fiche.DoesNotExist as exc:
            raise Http404 from exc
        if not fiche.is_editable:
            messages.info(request, "Cette version est validée : elle ne se modifie plus (utilisez « Corriger »).")
            return redirect("rcp:fiche_detail", fiche.pk)
        if not selectors.can_edit(request.user, fiche):
            raise PermissionDenied(READ_ONLY)
        return _render_form(request, fiche, FicheEditor(fiche=fiche))

    fiche = _load(request, pk)
    if not fiche.is_editable:
        messages.error(request, "Cette version a été validée entre-temps : elle ne se modifie plus.")
        return redirect("rcp:fiche_detail", fiche.pk)
    editor = FicheEditor(request.POST, fiche=fiche)
    if not editor.is_valid():
        return _render_form(request, fiche, editor, status=400)
    validating = request.POST.get("action") == "validate"
    typed = editor.to_input()
    try:
        saved = services.save(actor=request.user, fiche=fiche, expected_version=editor.lock_version, data=typed)
    except ConcurrentEditError as exc:
        return _conflict(request, fiche, exc, typed)
    except ValidationError as exc:  # FicheValidationError included: codes, texts
        editor.add_service_errors(exc)
        return _render_form(request, fiche, editor, status=400)
    if not validating:
        messages.success(request, "Fiche enregistrée.")
        return _after_write(request, reverse("rcp:fiche_edit", args=[saved.pk]))
    return _validate(request, saved, expected_version=saved.lock_version, typed=typed)


def _reload(fiche: Fiche) -> Fiche:
    return _fiche_with_children().get(pk=fiche.pk)


def _fiche_with_children():
    return Fiche.objects.select_related(
        "registration__meeting__board", "registration__requesting_doctor", "registration__presenting_doctor",
        "patient",
    ).prefetch_related("tumours", "treatments", "further_tests")


def _conflict(request, fiche: Fiche, exc: ConcurrentEditError, typed: FicheInput) -> HttpResponse:
    """HTTP 409: what the other writer saved, next to what this one typed; the form keeps the typed values
    and now carries the new version, so that saving again overwrites knowingly."""
    current = _reload(fiche)
    data = request.POST.copy()
    data["lock_version"] = str(current.lock_version)
    data.pop("action", None)
    editor = FicheEditor(data, fiche=current)
    editor.is_valid()
    changes = exc.changes
    if not changes:  # the version moved between the check and the write: compare here
        saved = services.snapshot(current)
        mine = {**saved, **typed.fields, "tumours": typed.tumours, "treatments": typed.treatments,
                "further_tests": typed.further_tests}
        changes = {k: (mine[k], saved[k]) for k in saved if mine.get(k) != saved[k]}
    conflict = {"message": CONFLICT, "rows": conflict_rows(changes), "current_version": current.lock_version,
                "status": current.get_status_display(), "editable": current.is_editable}
    return _render_form(request, current, editor, status=409, conflict=conflict)


def _validate(request, fiche: Fiche, *, expected_version: int, typed: FicheInput | None = None) -> HttpResponse:
    """Sign the fiche; on refusal, the form with the errors on the fields (what was typed is kept)."""
    saved_first = typed is not None
    try:
        fiche = services.validate(actor=request.user, fiche=fiche, expected_version=expected_version)
    except PermissionDenied as exc:
        if saved_first:
            messages.success(request, "Fiche enregistrée.")
        messages.error(request, str(exc) or "Vous ne pouvez pas signer cette fiche.")
        return redirect(safe_next(request) or reverse("rcp:fiche_edit", args=[fiche.pk]))
    except ConcurrentEditError as exc:
        if saved_first:
            return _conflict(request, fiche, exc, typed)
        messages.error(request, CONFLICT + " Relisez-la avant de la valider.")
        return redirect("rcp:fiche_edit", fiche.pk)
    except FicheValidationError as exc:
        current = _reload(fiche)
        data = None
        if saved_first:
            data = request.POST.copy()
            data["lock_version"] = str(current.lock_version)
            data.pop("action", None)
            messages.success(request, "Fiche enregistrée, mais elle ne peut pas encore être validée.")
        editor = FicheEditor(data, fiche=current)
        editor.is_valid()
        editor.add_service_errors(exc)
        return _render_form(request, current, editor, status=400, can_reregister=exc.can_reregister)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("rcp:fiche_detail", fiche.pk)
    if fiche.is_editable:  # double signature: this was the first one
        messages.success(request, f"Première signature enregistrée ({fiche.first_signer_name}) : un second médecin "
                                  "habilité contresigne pour valider la fiche.")
    else:
        messages.success(request, f"Fiche validée et signée par {fiche.signer_name}.")
    return _after_write(request, reverse("rcp:fiche_detail", args=[fiche.pk]))


@require_POST
def fiche_validate(request, pk: int):
    """Sign the saved fiche as it is (the form's "Valider et signer" saves first, then signs)."""
    fiche = _load(request, pk)
    raw = (request.POST.get("lock_version") or "").strip()
    if not raw.isdigit() or len(raw) > 9:
        messages.error(request, "Version de la fiche manquante : rechargez la page avant de valider.")
        return redirect("rcp:fiche_edit", fiche.pk)
    return _validate(request, fiche, expected_version=int(raw))


# --- read, print, correct ---

@require_GET
def fiche_detail(request, pk: int):
    page = _page(request, pk, Action.FICHE_VIEW)
    return render(request, "rcp/fiche_detail.html", {"page": page, "fiche": page.fiche})


@require_GET
def fiche_print(request, pk: int):
    page = _page(request, pk, Action.FICHE_PRINT)
    return render(request, "rcp/fiche_print.html", {"page": page, "fiche": page.fiche})


@require_POST
def fiche_correct(request, pk: int):
    fiche = _load(request, pk)
    try:
        new = services.correct(actor=request.user, fiche=fiche, reason=request.POST.get("reason", "")[:300])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(safe_next(request) or reverse("rcp:fiche_detail", args=[fiche.pk]))
    messages.success(request, f"Version {new.version_number} créée : faites la correction puis validez-la.")
    return _after_write(request, reverse("rcp:fiche_edit", args=[new.pk]))


# --- code suggestions ---

@require_GET
def code_suggestions_view(request, list_id: str):
    """Suggestions of a national value set (CIM-10 topographies, CIM-O-3 morphologies) for what was typed: the
    fiche form asks for them on demand. Terminology only, no patient data: signed-in users, not audited."""
    if list_id not in SUGGESTION_LISTS:
        raise Http404
    found = code_suggestions(list_id, request.GET.get("q", ""))
    response = JsonResponse({"results": [{"code": code, "display": display} for code, display in found]})
    response["Cache-Control"] = "private, max-age=3600"
    return response
