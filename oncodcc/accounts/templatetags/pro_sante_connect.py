from django import template

from oncodcc.accounts import psc

register = template.Library()


@register.inclusion_tag("accounts/psc_button.html")
def psc_button(next_url: str = ""):
    """The "Se connecter avec Pro Santé Connect" link, when PSC is configured (DCC_PSC_ISSUER)."""
    return {"enabled": psc.enabled(), "next": next_url}
