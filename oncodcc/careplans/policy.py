"""The care plan policy (ADR 0007): a PPS or PPAC is read by whoever opens its patient's record once validated —
the GP included —, a draft only by those who work on the case. Writes ask `patient.edit`."""

from oncodcc.core.policy import register
from oncodcc.patients.policy import reads_document

from .models import CarePlan

VIEW_CAREPLAN = "careplan.view"


@register(VIEW_CAREPLAN, "Lire un PPS ou un PPAC (brouillon : seulement ceux qui travaillent sur le dossier)")
def can_view_careplan(user, plan) -> bool:
    if plan is None:
        return False
    return reads_document(user, plan.patient, draft=plan.status == CarePlan.Status.DRAFT)
