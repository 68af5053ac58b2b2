"""Sign-in pages: password (Django's LoginView, django-axes), then the second factor (code, enrolment, recovery
codes). The services are in oncodcc.accounts.otp; the middleware keeps password-only sessions on these pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render, resolve_url
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from oncodcc.core.templatetags.french import pluriel

from . import otp, otp_lockout, strong_auth
from .forms import EnrolmentForm, LoginForm, SecondFactorForm
from .middleware import second_factor_url

REFUSALS = {
    "format": "Ce code n'a pas le bon format : saisissez les 6 chiffres affichés par votre application "
              "d'authentification, ou un code de secours de 10 caractères (par exemple abcde-fghij).",
    "wrong": "Code incorrect.",
    "reused": "Ce code a déjà servi : attendez le code suivant de votre application (il change toutes les "
              "30 secondes).",
}


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    """The password step; a password-only session then goes to the second factor, `next` kept."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_success_url(self):
        url = super().get_success_url()
        if strong_auth.is_strong(self.request):
            return url
        return second_factor_url(self.request.user, url)


def _next(request) -> str:
    """The page asked before the sign-in, when it is one of ours; else the home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _locked(request, lock):
    return render(request, "accounts/otp_locked.html", {"minutes": lock.minutes}, status=429)


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def verify(request):
    """`/comptes/double-facteur/`: the code from the app (or a recovery code) after the password."""
    user, next_url = request.user, _next(request)
    if strong_auth.is_strong(request):
        return redirect(next_url)
    if not otp.is_enrolled(user):
        return redirect(second_factor_url(user, next_url))
    lock = otp_lockout.current_lock(user)
    if lock is not None:
        return _locked(request, lock)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = otp.verify(request=request, user=user, code=form.cleaned_data["code"])
        if result.ok:
            if result.remaining_recovery_codes is not None:
                _recovery_code_used(request, result.remaining_recovery_codes)
            return redirect(next_url)
        if result.lock is not None:
            return _locked(request, result.lock)
        message = REFUSALS[result.refusal]
        if result.refusal != "format":
            left = settings.DCC_OTP_FAILURE_LIMIT - result.failures
            message += (f" Encore {left} essai{pluriel(left)} avant le blocage temporaire du second facteur de ce "
                        "compte.")
        form.add_error("code", message)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


def _recovery_code_used(request, remaining: int) -> None:
    if remaining == 0:
        messages.warning(request, "Vous avez utilisé votre dernier code de secours : générez-en de nouveaux dès "
                                  "maintenant (Second facteur → Codes de secours).")
    else:
        messages.warning(request, f"Code de secours utilisé : il vous en reste {remaining}. Chaque code ne sert "
                                  "qu'une fois ; générez-en de nouveaux si vous en manquez.")


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def setup(request):
    """`/comptes/double-facteur/enrolement/`: QR code and secret, confirmed by a first code; then the recovery codes,
    shown once. An account with a device goes through the code page instead (re-enrolment is an administrator's
    reset)."""
    user, next_url = request.user, _next(request)
    if otp.is_enrolled(user):
        if strong_auth.is_strong(request):
            return redirect("accounts:otp_recovery_codes")
        return redirect(second_factor_url(user, next_url))
    device = otp.pending_device(user)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = otp.confirm_enrolment(request=request, user=user, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            return render(request, "accounts/otp_recovery_codes_new.html",
                          {"codes": codes, "next": next_url, "enrolment": True})
        form.add_error("code", "Code incorrect : saisissez le code que l'application affiche maintenant (vérifiez "
                               "que l'heure du téléphone est juste).")
    secret = otp.secret(device)
    return render(request, "accounts/otp_setup.html", {
        "form": form, "next": next_url, "qr_svg": otp.qr_svg(device), "secret": otp.grouped(secret),
        "issuer": settings.OTP_TOTP_ISSUER,
    })


@never_cache
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """`/comptes/double-facteur/codes-de-secours/`: how many are left; ten new ones on demand (the old ones stop
    working), shown once."""
    user = request.user
    if not otp.is_enrolled(user):
        return redirect("accounts:otp_setup")
    if request.method == "POST":
        codes = otp.regenerate_recovery_codes(actor=user, user=user)
        return render(request, "accounts/otp_recovery_codes_new.html",
                      {"codes": codes, "next": resolve_url(settings.LOGIN_REDIRECT_URL), "enrolment": False})
    return render(request, "accounts/otp_recovery_codes.html",
                  {"remaining": otp.remaining_recovery_codes(user), "total": otp.RECOVERY_CODE_COUNT})
