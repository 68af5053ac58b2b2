"""Passwords set through an emailed link: the activation of a new account (then the second factor is enrolled)
and the reset of a forgotten password (the second factor is kept). The links are oncodcc.accounts.links."""

from django.db import transaction

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.actors import SystemActor

from . import links, mail
from .models import User

# Whoever typed the address is unknown (maybe not the account's owner): the form is the actor.
FORGOTTEN_FORM = SystemActor(label="formulaire « mot de passe oublié »", role="public")
ACTIONS = {links.ACTIVATION: Action.ACCOUNT_ACTIVATE, links.RESET: Action.ACCOUNT_PASSWORD_RESET}


def set_from_link(*, user: User, password: str, purpose: str) -> None:
    """The password chosen on the link's page (already validated). Changing it is what makes the link used."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(actor=user, action=ACTIONS[purpose], obj=user,
                     details={"step": "password_set"} if purpose == links.ACTIVATION else {"step": "done"})


def send_activation(*, user: User, request=None) -> None:
    """The activation email of an account created by an administrator or a command (SMTP errors propagate)."""
    mail.send("activation", to=user.email, context={
        "user": user, "link": links.absolute(links.ACTIVATION, user, request),
        "hours": links.lifetime_hours(links.ACTIVATION), "role": user.get_role_display()})


def ask_reset(*, email: str, request) -> int:
    """"Mot de passe oublié": every active account with this email gets a link — a reset link, or a new
    activation link when the account was never activated (its first link may have expired). The caller answers the
    same whatever happens here. Returns the number of emails that left (for tests and logs, never shown)."""
    sent = 0
    for user in User.objects.filter(email__iexact=email.strip(), is_active=True).order_by("pk"):
        purpose = links.RESET if user.has_usable_password() else links.ACTIVATION
        with transaction.atomic():
            audit.record(actor=FORGOTTEN_FORM, action=Action.ACCOUNT_PASSWORD_RESET, obj=user,
                         details={"step": "asked", "link": purpose})
        template = "password_reset" if purpose == links.RESET else "activation"
        sent += mail.send_quietly(template, to=user.email, context={
            "user": user, "link": links.absolute(purpose, user, request), "hours": links.lifetime_hours(purpose),
            "role": user.get_role_display()})
    return sent
