"""Pages of the emailed links: activation of a new account (password, then the second factor's enrolment) and
"mot de passe oublié" (the request, then the new password; the second factor is kept).

As Django's own reset view does, a link's token leaves the address bar at once: the first visit keeps it in the
session and redirects to the same page without it, so that it cannot leak through the Referer header or the
history."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from . import links, passwords, public_throttle
from .middleware import second_factor_url
from .request_forms import ForgottenPasswordForm, NewPasswordForm

HIDDEN_TOKEN = "saisie"  # noqa: S105 (a URL segment, not a secret)
SESSION_TOKEN = "dcc_link_token_{}"  # noqa: S105 (a session key name)
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _link_page(request, purpose: str, uidb64: str, token: str):
    """(user, response): the account when the link works, else the page to show (invalid link, or the redirect
    that hides the token)."""
    key = SESSION_TOKEN.format(purpose)
    if token != HIDDEN_TOKEN:
        request.session[key] = token
        return None, redirect(reverse(links.URL_NAMES[purpose], kwargs={"uidb64": uidb64, "token": HIDDEN_TOKEN}))
    checked = links.check(purpose, uidb64, request.session.get(key, ""))
    if checked.user is None:
        return None, render(request, "accounts/link_invalid.html", {
            "expired": checked.state == links.EXPIRED, "activation": purpose == links.ACTIVATION,
            "hours": links.lifetime_hours(purpose)}, status=410 if checked.state == links.EXPIRED else 404)
    return checked.user, None


@login_not_required
@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def activate(request, uidb64: str, token: str):
    """`/comptes/activation/<uid>/<token>/`: choose a password, then enrol the second factor (the enrolment page
    of oncodcc.accounts.views, reached with a password-only session); it ends strongly signed in."""
    user, response = _link_page(request, links.ACTIVATION, uidb64, token)
    if response is not None:
        return response
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        passwords.set_from_link(user=user, password=form.cleaned_data["password1"], purpose=links.ACTIVATION)
        request.session.pop(SESSION_TOKEN.format(links.ACTIVATION), None)
        login(request, user, backend=MODEL_BACKEND)  # the password step; the second factor follows
        return redirect(second_factor_url(user, reverse("front:home")))
    return render(request, "accounts/link_password.html", {"form": form, "activation": True, "account": user})


@login_not_required
@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def reset_confirm(request, uidb64: str, token: str):
    """`/comptes/mot-de-passe/<uid>/<token>/`: a new password. No sign-in here: the next one asks the password and
    the second factor, which the reset leaves as it was."""
    user, response = _link_page(request, links.RESET, uidb64, token)
    if response is not None:
        return response
    form = NewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        passwords.set_from_link(user=user, password=form.cleaned_data["password1"], purpose=links.RESET)
        request.session.pop(SESSION_TOKEN.format(links.RESET), None)
        messages.success(request, "Mot de passe modifié. Connectez-vous avec le nouveau mot de passe puis le code de "
                                  "votre application d'authentification.")
        return redirect("accounts:login")
    return render(request, "accounts/link_password.html", {"form": form, "activation": False, "account": user})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def forgotten(request):
    """`/comptes/mot-de-passe-oublie/`: the same answer whether or not an account has this email."""
    form = ForgottenPasswordForm(request.POST or None)
    if request.method == "POST":
        if public_throttle.over_limit("password", request):
            return public_throttle.refusal(request)
        if form.is_valid():
            passwords.ask_reset(email=form.cleaned_data["email"], request=request)
            return redirect("accounts:password_forgotten_sent")
    return render(request, "accounts/password_forgotten.html", {"form": form})


@login_not_required
def forgotten_sent(request):
    return render(request, "accounts/password_forgotten_sent.html",
                  {"hours": links.lifetime_hours(links.RESET)})
