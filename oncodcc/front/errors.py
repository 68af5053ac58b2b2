"""The one 403 handler: every refusal of the policy ends here (AccessDenied is a PermissionDenied)."""

from django.shortcuts import render

from oncodcc.core.policy import has_permission
from oncodcc.core.views import error_page
from oncodcc.patients.models import Patient
from oncodcc.patients.policy import BREAK_GLASS, VIEW_RECORD


def forbidden(request, exception=None):
    """Every refusal ends here (AccessDenied is a PermissionDenied). A refusal about a patient's record says
    nothing about the patient, points to the record it was merged into when the user may open that one, and
    offers break-the-glass to the roles that may use it."""
    patient_id = getattr(exception, "patient_id", None)
    if patient_id is not None:
        survivor_id = Patient.objects.filter(pk=patient_id).values_list("merged_into_id", flat=True).first()
        survivor = Patient.objects.filter(pk=survivor_id).first() if survivor_id else None
        return render(request, "patients/access_denied.html", {
            "patient_pk": patient_id,
            "can_break_glass": has_permission(request.user, BREAK_GLASS),
            "survivor": survivor if has_permission(request.user, VIEW_RECORD, survivor) else None,
        }, status=403)
    # PermissionDenied carries a French message written for the user (AccessDenied, READ_ONLY…).
    return error_page(request, 403, "Accès refusé", str(exception) if exception and str(exception) else
                       "Vous n'avez pas les droits nécessaires pour cette page.")
