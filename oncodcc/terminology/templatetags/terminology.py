from django import template

from oncodcc.terminology import valuesets

register = template.Library()


@register.filter
def label(code: str | None, valueset: str) -> str:
    """{{ fiche.phase|label:"JDV_PhaseCancer_CISIS" }}: the national label of a code."""
    return valuesets.display(valueset, code)
