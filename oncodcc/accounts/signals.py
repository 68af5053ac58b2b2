"""Logins, logouts and failed logins go to the audit trail (no password, no typed username kept; failed logins
aggregated per address and window)."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core import refusals

from . import lockout


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    audit.record(actor=user, action=Action.LOGIN)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(actor=user, action=Action.LOGOUT)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    # Unauthenticated, so anyone can cause them by the thousand: aggregated per address and window, with the count
    # (oncodcc.core.refusals); never the typed username.
    locked = request is not None and getattr(request, "axes_locked_out", False)
    refusals.note(kind="login", action=Action.LOGIN_FAILED,
                  source=request.META.get("REMOTE_ADDR", "") if request is not None else "",
                  reason="locked_out" if locked else "credentials", actor_label="connexion non authentifiée")


user_locked_out.connect(lockout.on_locked_out, dispatch_uid="oncodcc.accounts.lockout")
