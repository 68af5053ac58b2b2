from django import template

from oncodcc.documents import selectors

register = template.Library()


@register.simple_tag
def fiche_document(fiche):
    """{% fiche_document fiche as document %}: the stored document of a validated fiche version, or None."""
    return selectors.fiche_document(fiche)


@register.simple_tag
def patient_documents(patient):
    return selectors.patient_documents(patient)


@register.simple_tag
def care_plan_document(plan):
    """{% care_plan_document plan as document %}: the stored document of a validated PPS/PPAC version, or None."""
    return selectors.care_plan_document(plan)
