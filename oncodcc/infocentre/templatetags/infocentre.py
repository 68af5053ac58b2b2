"""French number formatting for the statistics pages: 7 779, +12, −3,5 %."""

from django import template

register = template.Library()
THIN = "\u202f"  # narrow no-break space, the French thousands separator


def _group(value: int) -> str:
    return f"{abs(value):,}".replace(",", THIN)


@register.filter
def nombre(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    if isinstance(value, int):
        return ("−" if value < 0 else "") + _group(value)
    return str(value)


@register.filter
def variation(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        sign = "+" if value > 0 else ("−" if value < 0 else "")
        return f"{sign}{abs(value):.1f}".replace(".", ",") + f"{THIN}%"
    sign = "+" if value > 0 else ("−" if value < 0 else "")
    return f"{sign}{_group(value)}"
