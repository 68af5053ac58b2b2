"""Patient screens: search, creation, identity edit, access history, break-the-glass, identity vigilance (the
record page composes several apps: front.record).

Thin views: parse the request, call a selector or a service, render. Authorization and audit live in
selectors.py / services.py; the rules in policy.py."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oncodcc.accounts.models import Role

from . import certain, indicators, selectors, services, vigilance
from .forms import BreakGlassForm, CareTeamForm, PatientCreateForm, PatientForm, SearchForm
from .merge import MergeRefused
from .models import (
    OID_INS_NIA,
    OID_INS_NIR,
    OID_INS_NIR_DEMO,
    OID_INS_NIR_TEST,
    CareTeamMember,
    Patient,
    PatientMerge,
)
from .policy import (
    BREAK_GLASS,
    CREATE,
    EDIT,
    REGISTER,
    REVIEW_IDENTITIES,
    SEARCH_IDENTITIES,
    VIEW_RECORD,
    AccessDenied,
    accessible_patients,
    break_glass_duration,
    has_permission,
)

ROLE_LABELS = {code: str(label) for code, label in Role.choices}

INS_OID_LABELS = {
    OID_INS_NIR: "INS-NIR",
    OID_INS_NIA: "INS-NIA",
    OID_INS_NIR_TEST: "INS-NIR de test",
    OID_INS_NIR_DEMO: "INS-NIR de démonstration",
}

# Identity attributes (HL7 table 0445 / FR Core), as shown on the record.
FLAG_LABELS = {
    "VIDE": "non encore qualifiée",
    "DOUB": "doublon",
    "DESA": "désactivée",
    "DPOT": "doublon potentiel",
    "DOUA": "doublon avéré",
    "COLP": "collision potentielle",
    "COLV": "collision avérée",
    "FILI": "filiation",
    "CACH": "cachée",
    "ANOM": "anonyme",
    "IDVER": "vérifiée par le patient",
    "RECD": "reçue d'un autre domaine",
    "IDRA": "rapprochée dans un autre domaine",
    "USUR": "usurpée",
    "HOMD": "homonyme détecté",
    "HOMA": "homonyme avéré",
    "INVA": "invalidée",
    "FICT": "fictive",
    "DOUT": "douteuse",
}


# --- search -----------------------------------------------------------------------------------------------------


@require_GET
def search(request):
    form = SearchForm(request.GET)
    query = None
    results = None
    if form.is_valid():
        query = selectors.parse_query(form.cleaned_data["q"], form.cleaned_data["birth_date"])
        if not query.is_empty:
            results = selectors.search_patients(user=request.user, query=query)
    context = {
        "form": form, "query": query, "results": results,
        "can_register": has_permission(request.user, REGISTER),
        "can_break_glass": has_permission(request.user, BREAK_GLASS),
        "is_dpo": has_permission(request.user, SEARCH_IDENTITIES),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return render(request, "patients/_search_results.html", context)
    return render(request, "patients/search.html", context)


# --- creation and identity edit -----------------------------------------------------------------------------------


def _next_meeting(request) -> str:
    value = request.GET.get("next_meeting", "")
    return value if value.isdigit() and len(value) < 19 else ""


@require_http_methods(["GET", "POST"])
def create(request):
    if not has_permission(request.user, CREATE):
        raise AccessDenied("La création d'un patient est réservée aux médecins et secrétaires de RCP.")
    form = PatientCreateForm(request.POST or None)
    candidates = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                patient = services.create_patient(
                    actor=request.user, data=form.to_data(), ipp=form.cleaned_data["ipp"],
                    ipp_organisation=form.cleaned_data["ipp_organisation"],
                    confirm_not_duplicate=form.cleaned_data["confirm_not_duplicate"],
                )
            except services.DuplicateCandidates as exc:
                visible = set(
                    accessible_patients(request.user)
                    .filter(pk__in=[c.patient.pk for c in exc.candidates]).values_list("pk", flat=True)
                )
                candidates = [(c, c.patient.pk in visible) for c in exc.candidates]
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"Le dossier de {patient.display_name} a été créé.")
                meeting = _next_meeting(request)
                if meeting:
                    query = urlencode({"patient": patient.pk, "meeting": meeting})
                    return redirect(f"{reverse('rcp:registration_create')}?{query}")
                return redirect("patients:detail", pk=patient.pk)
        if form.errors:
            status = 400
    return render(request, "patients/patient_form.html", {
        "form": form, "creating": True, "candidates": candidates,
        "action": request.get_full_path(),
    }, status=status)


@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    try:
        patient = selectors.get_patient(user=request.user, patient_id=pk)
    except Patient.DoesNotExist as exc:
        raise Http404 from exc
    if not has_permission(request.user, EDIT, patient):
        raise AccessDenied("Votre rôle ne permet pas de modifier l'identité de ce patient.")
    if patient.is_merged:
        messages.error(request, "Ce dossier a été fusionné dans un autre : modifiez l'identité du dossier conservé.")
        return redirect("patients:detail", pk=patient.pk)
    form = PatientForm(request.POST or None, initial=PatientForm.initial_from(patient))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_patient(actor=request.user, patient=patient, data=form.to_data())
            except ValidationError as exc:
                form.add_service_errors(exc)
                patient.refresh_from_db()
            else:
                messages.success(request, "L'identité du patient a été mise à jour.")
                return redirect("patients:detail", pk=patient.pk)
        if form.errors:
            status = 400
    return render(request, "patients/patient_form.html", {
        "form": form, "creating": False, "patient": patient, "action": request.get_full_path(),
    }, status=status)


# --- the record ---------------------------------------------------------------------------------------------------


@require_POST
def care_team_add(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    if not has_permission(request.user, EDIT, patient):
        raise AccessDenied("Votre rôle ne permet pas de modifier l'équipe de soins de ce patient.")
    form = CareTeamForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choisissez un professionnel de santé et un rôle valides.")
        return redirect("patients:detail", pk=patient.pk)
    try:
        member = services.add_to_care_team(
            actor=request.user, patient=patient, practitioner=form.cleaned_data["practitioner"],
            role=form.cleaned_data["role"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("patients:detail", pk=patient.pk)
    messages.success(request, f"{member.practitioner} fait partie de l'équipe de soins "
                              f"({CareTeamMember.Role(member.role).label}).")
    return redirect("patients:detail", pk=patient.pk)


# --- traceability -------------------------------------------------------------------------------------------------


@require_GET
def access_history(request, pk: int):
    # The header only: the DPO reads histories without clinical access, so no access check (nor audit) here.
    patient = get_object_or_404(
        Patient.objects.only("id", "birth_name", "used_name", "used_given_name", "first_birth_given_name",
                             "birth_date", "sex"),
        pk=pk,
    )
    entries = selectors.access_history(user=request.user, patient=patient)
    rows = [(entry, ROLE_LABELS.get(entry.actor_role, entry.actor_role)) for entry in entries]
    return render(request, "patients/access_history.html", {
        "patient": patient, "rows": rows, "can_view_patient": has_permission(request.user, VIEW_RECORD, patient),
    })


@require_http_methods(["GET", "POST"])
def break_glass(request, pk: int):
    patient = get_object_or_404(Patient.objects.only("id"), pk=pk)
    if not has_permission(request.user, BREAK_GLASS):
        raise AccessDenied("Votre rôle ne permet pas l'accès en bris de glace.")
    form = BreakGlassForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                grant = services.break_the_glass(actor=request.user, patient=patient,
                                                 reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                expires = timezone.localtime(grant.expires_at).strftime("%d/%m/%Y à %H:%M")
                messages.warning(request, f"Accès exceptionnel ouvert jusqu'au {expires}. Il est tracé et "
                                          "contrôlé par le DPO.")
                return redirect("patients:detail", pk=patient.pk)
        status = 400
    return render(request, "patients/break_glass.html", {
        "patient_pk": patient.pk, "form": form,
        "hours": int(break_glass_duration().total_seconds() // 3600),
    }, status=status)


@require_GET
def break_glass_log(request):
    grants = list(selectors.break_glass_log(user=request.user))
    return render(request, "patients/break_glass_log.html", {"grants": grants, "now": timezone.now()})


# --- identity vigilance ---------------------------------------------------------------------------------------------

VIGILANCE_DENIED = "L'identitovigilance est réservée aux administrateurs de la DSRC."


def _vigilance_page(request, *, status: int = 200) -> HttpResponse:
    page = request.POST.get("page") or request.GET.get("page") or 1
    work = vigilance.worklist(user=request.user, page_number=page)
    return render(request, "patients/vigilance.html", {
        "worklist": work, "keep_flagged": vigilance.KEEP_FLAGGED, "keep_candidate": vigilance.KEEP_CANDIDATE,
    }, status=status)


def _after_decision(request) -> HttpResponse:
    page = request.POST.get("page", "")
    suffix = f"?page={page}" if page.isdigit() and page != "1" else ""
    return redirect(reverse("patients:vigilance") + suffix)


@require_GET
def vigilance_list(request):
    if not has_permission(request.user, REVIEW_IDENTITIES):
        raise AccessDenied(VIGILANCE_DENIED)
    return _vigilance_page(request)


@require_POST
def vigilance_dismiss(request, pk: int):
    if not has_permission(request.user, REVIEW_IDENTITIES):
        raise AccessDenied(VIGILANCE_DENIED)
    try:
        patient = vigilance.dismiss(actor=request.user, patient_id=pk, note=request.POST.get("note", ""))
    except Patient.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _vigilance_page(request, status=400)
    messages.success(request, f"{patient.display_name} : signalement de doublon potentiel levé (pas un doublon).")
    return _after_decision(request)


@require_POST
def vigilance_merge(request, pk: int):
    if not has_permission(request.user, REVIEW_IDENTITIES):
        raise AccessDenied(VIGILANCE_DENIED)
    candidate = request.POST.get("candidate", "")
    try:
        record = vigilance.merge_flagged(
            actor=request.user, patient_id=pk, candidate_id=int(candidate) if candidate.isdigit() else 0,
            keep=request.POST.get("keep", ""), reason=request.POST.get("reason", ""),
            twin_checked=request.POST.get("twin_checked") == "1",
        )
    except Patient.DoesNotExist as exc:
        raise Http404 from exc
    except (MergeRefused, ValidationError) as exc:
        messages.error(request, " ".join(exc.messages))
        return _vigilance_page(request, status=400)
    messages.success(request, f"Dossier n° {record.absorbed_id} fusionné dans le dossier n° {record.survivor_id} "
                              f"({record.survivor.display_name}).")
    return _after_decision(request)


def _merges_page(request, *, status: int = 200) -> HttpResponse:
    return render(request, "patients/vigilance_merges.html",
                  {"merges": vigilance.recent_merges(user=request.user)}, status=status)


@require_GET
def vigilance_merges(request):
    if not has_permission(request.user, REVIEW_IDENTITIES):
        raise AccessDenied(VIGILANCE_DENIED)
    return _merges_page(request)


@require_POST
def vigilance_unmerge(request, pk: int):
    if not has_permission(request.user, REVIEW_IDENTITIES):
        raise AccessDenied(VIGILANCE_DENIED)
    try:
        record = vigilance.undo_merge(actor=request.user, merge_id=pk, reason=request.POST.get("reason", ""))
    except PatientMerge.DoesNotExist as exc:
        raise Http404 from exc
    except (MergeRefused, ValidationError) as exc:
        messages.error(request, " ".join(exc.messages))
        return _merges_page(request, status=400)
    messages.success(request, f"Fusion annulée : les dossiers n° {record.survivor_id} et n° {record.absorbed_id} "
                              f"sont de nouveau distincts (et ne seront plus proposés comme doublons).")
    return redirect("patients:vigilance_merges")


@require_http_methods(["GET", "POST"])
def vigilance_certain(request):
    """The certain tier confirmed in one button (patients.certain): the pairs shown are the pairs posted."""
    if not has_permission(request.user, REVIEW_IDENTITIES):
        raise AccessDenied(VIGILANCE_DENIED)
    if request.method == "POST":
        try:
            result = certain.confirm(actor=request.user, keys=request.POST.getlist("pair"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return render(request, "patients/vigilance_certain.html",
                          {"pairs": certain.certain_pairs(user=request.user)}, status=400)
        merged = len(result.merged)
        text = (ngettext("%(n)d paire certaine fusionnée", "%(n)d paires certaines fusionnées", merged) % {"n": merged}
                if merged else "Aucune paire fusionnée")
        if result.skipped:
            text += ngettext(" ; %(n)d paire écartée (plus certaine ou déjà traitée)",
                             " ; %(n)d paires écartées (plus certaines ou déjà traitées)",
                             result.skipped) % {"n": result.skipped}
        messages.success(request, text + ". Chaque fusion peut être annulée depuis la liste des fusions.")
        return redirect("patients:vigilance_certain")
    return render(request, "patients/vigilance_certain.html", {"pairs": certain.certain_pairs(user=request.user)})


@require_GET
def vigilance_indicators(request):
    """Counts per month and hospital for the infocentre (patients.indicators); `?format=csv` exports them."""
    if not has_permission(request.user, REVIEW_IDENTITIES):
        raise AccessDenied(VIGILANCE_DENIED)
    this_year = timezone.localdate().year
    raw = request.GET.get("annee", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= this_year else this_year
    export = request.GET.get("format") == "csv"
    rows = indicators.read(user=request.user, year=year, export=export)
    if export:
        response = HttpResponse(indicators.to_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="identitovigilance-{year}.csv"'
        return response
    return render(request, "patients/vigilance_indicators.html", {
        "rows": rows, "year": year, "columns": [label for _, label in indicators.COLUMNS],
        "totals": indicators.totals(rows), "years": range(this_year, max(this_year - 5, 2000) - 1, -1)})
