from django import template

from oncodcc.terminology import valuesets

register = template.Library()


@register.filter
def label(code: str | None, valueset: str) -> str:
    """{{ fiche.phase|label:"JDV_PhaseCancer_CISIS" }}: the label people read (the reviewed display label)."""
    return valuesets.label(valueset, code)
