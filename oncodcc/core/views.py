"""Home page per role, health check, error pages."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Q
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from oncodcc.accounts.models import Role
from oncodcc.audit.listing import record_shown
from oncodcc.audit.services import Action
from oncodcc.core.policy import has_permission
from oncodcc.patients import vigilance
from oncodcc.patients.policy import accessible_patients
from oncodcc.rcp.models import Fiche, Meeting, Registration
from oncodcc.rcp.policy import boards_of


def home(request):
    user = request.user
    now = timezone.now()
    boards = boards_of(user)
    next_meetings = (
        Meeting.objects.filter(board__in=boards, starts_at__gte=now - timezone.timedelta(hours=6))
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("board").order_by("starts_at")[:8]
    )
    mine = Q(created_by=user)
    if user.practitioner_id:
        mine |= Q(requesting_doctor_id=user.practitioner_id) | Q(presenting_doctor_id=user.practitioner_id)
    visible = accessible_patients(user).values("pk")
    my_cases = (
        Registration.objects.filter(mine, patient__in=visible, status=Registration.Status.REGISTERED,
                                    meeting__starts_at__gte=now - timezone.timedelta(days=1))
        .select_related("patient", "meeting__board").order_by("meeting__starts_at", "position")[:15]
    )
    waiting = Fiche.objects.filter(status=Fiche.Status.DRAFT, registration__meeting__board__in=boards,
                                   patient__in=visible)
    if user.role in {Role.DOCTOR, Role.COORDINATOR} and user.practitioner_id:
        waiting = waiting.filter(
            Q(registration__meeting__board__members__practitioner_id=user.practitioner_id,
              registration__meeting__board__members__is_coordinator=True)
            | Q(registration__meeting__attendances__practitioner_id=user.practitioner_id)
        )
    waiting = (
        waiting.filter(registration__meeting__starts_at__lte=now)
        .select_related("patient", "registration__meeting__board")
        .distinct().order_by("registration__meeting__starts_at")[:15]
    )
    my_cases, waiting = list(my_cases), list(waiting)
    shown = sorted({r.patient_id for r in my_cases} | {fiche.patient_id for fiche in waiting})
    if shown:
        # The work lists show patients' names: one event for the page, as for a search result list.
        record_shown(actor=user, action=Action.PATIENT_LIST, patient_ids=shown, details={"page": "home"})
    reviews_identities = has_permission(user, "patient.review_identities")
    return render(request, "core/home.html", {
        "next_meetings": next_meetings, "my_cases": my_cases, "waiting_fiches": waiting,
        "is_dpo": user.role == Role.DPO,
        # DSRC administrators: the identity vigilance worklist and how many records wait there.
        "reviews_identities": reviews_identities,
        "potential_duplicates": vigilance.flagged_count() if reviews_identities else 0,
    })


@require_GET
@never_cache
@login_not_required
def health(request):
    """Liveness and database status, for load balancers and monitoring (no patient data)."""
    database = {"vendor": connection.vendor}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database["status"] = "ok"
    except Exception as exc:  # any driver error means the database is down for us
        database.update(status="error", error=exc.__class__.__name__)
    ok = database["status"] == "ok"
    return JsonResponse({"status": "ok" if ok else "error", "database": database}, status=200 if ok else 503)


# --- error pages (handlers in oncodcc/urls.py): French, never internals; DEBUG is off outside developer mode ---

def _error_page(request, code: int, title: str, message: str) -> HttpResponse:
    return render(request, "core/error.html", {"code": code, "title": title, "message": message}, status=code)


def bad_request(request, exception=None):
    # The exception's text (e.g. a refused Host header) is for the logs, not for the page.
    return _error_page(request, 400, "Requête invalide", "Cette requête n'a pas pu être traitée.")


def forbidden(request, exception=None):
    """Every refusal ends here (AccessDenied is a PermissionDenied). A refusal about a patient's record says
    nothing about the patient, points to the record it was merged into when the user may open that one, and
    offers break-the-glass to the roles that may use it."""
    patient_id = getattr(exception, "patient_id", None)
    if patient_id is not None:
        from oncodcc.patients.models import Patient  # the one screen that knows patients; imported late

        survivor_id = Patient.objects.filter(pk=patient_id).values_list("merged_into_id", flat=True).first()
        survivor = Patient.objects.filter(pk=survivor_id).first() if survivor_id else None
        return render(request, "patients/access_denied.html", {
            "patient_pk": patient_id,
            "can_break_glass": has_permission(request.user, "patient.break_glass"),
            "survivor": survivor if has_permission(request.user, "patient.view_record", survivor) else None,
        }, status=403)
    # PermissionDenied carries a French message written for the user (AccessDenied, READ_ONLY…).
    return _error_page(request, 403, "Accès refusé", str(exception) if exception and str(exception) else
                       "Vous n'avez pas les droits nécessaires pour cette page.")


def not_found(request, exception=None):
    return _error_page(request, 404, "Page introuvable", "Cette page n'existe pas ou plus.")


def method_not_allowed(request) -> HttpResponse:
    return _error_page(request, 405, "Action non permise",
                       "Cette page ne s'utilise pas ainsi : revenez en arrière et utilisez ses liens et boutons.")


def server_error(request):
    """Rendered without the request context nor the database: the failure may be theirs."""
    return HttpResponseServerError(loader.get_template("500.html").render())
