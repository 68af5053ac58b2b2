from django import template

from ..models import CarePlan

register = template.Library()


@register.simple_tag
def patient_care_plans(patient, drafts: bool = True) -> list[CarePlan]:
    """The patient's care plans, current versions first (superseded versions are reached from their plan);
    `drafts` False: validated plans only (a reader such as the GP)."""
    plans = CarePlan.objects.filter(patient=patient).exclude(status=CarePlan.Status.SUPERSEDED)
    if not drafts:
        plans = plans.filter(status=CarePlan.Status.VALIDATED)
    return list(plans.order_by("-created_at"))


@register.simple_tag
def fiche_care_plan(fiche) -> CarePlan | None:
    """The current (not superseded) care plan following this fiche, if any."""
    return (CarePlan.objects.filter(fiche=fiche).exclude(status=CarePlan.Status.SUPERSEDED)
            .order_by("-version_number").first())

