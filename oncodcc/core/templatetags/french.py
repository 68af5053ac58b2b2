"""French agreement in templates: `{{ patient|agree:"soigné,soignée" }}` (the patient's sex; both forms when
unknown)."""

from django import template

register = template.Library()


@register.filter
def agree(person, forms: str) -> str:
    masculine, _, feminine = forms.partition(",")
    return person.agree(masculine, feminine or masculine)


@register.filter
def pluriel(count, suffix: str = "s") -> str:
    """French plural mark: none for 0 and 1 ("0 médecin présent", "1 dossier"), `suffix` from 2 on (Django's
    `pluralize` follows English: "0 médecins")."""
    try:
        return suffix if abs(int(count)) >= 2 else ""
    except (TypeError, ValueError):
        return ""
