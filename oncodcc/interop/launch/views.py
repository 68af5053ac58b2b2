"""`/launch`: a hospital record (DPI) opens OncoDCC on a patient with a signed token (docs/launch.md).

Machine-facing entry, so no login is required and errors are answered here: a French page with the reason and an
audit event, never a 500. GET `?token=` or POST form field `token` (long tokens; the DPI's own form, hence no
CSRF token: the signed, single-use, five-minute token is the proof)."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from oncodcc.audit.services import Action
from oncodcc.core import refusals

from . import services, tokens
from .refusals import LaunchRefused

BACKEND = "django.contrib.auth.backends.ModelBackend"


@csrf_exempt
@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def launch(request):
    token = request.POST.get("token") if request.method == "POST" else request.GET.get("token")
    try:
        with transaction.atomic():
            verified = tokens.verify(token)
            launched = services.open_launch(launch=tokens.parse(verified))
            _sign_in(request, launched.user)
    except LaunchRefused as refusal:
        return _refused(request, refusal)
    messages.info(request, f"Dossier ouvert depuis {launched.hospital} (appel contextuel).")
    if launched.intent == "register":
        return redirect(f"{reverse('rcp:registration_create')}?patient={launched.patient.pk}")
    return redirect("patients:detail", pk=launched.patient.pk)


def _sign_in(request, user) -> None:
    """Sign the doctor in on a fresh session; whoever else was signed in in this browser is signed out first."""
    if request.user.is_authenticated and request.user.pk != user.pk:
        logout(request)
    # login() keeps the session key when the same doctor is already signed in: a launch always gets a new one.
    request.session.cycle_key()
    login(request, user, backend=BACKEND)


def _refused(request, refusal: LaunchRefused):
    if refusal.key is None:
        # Not signed by a registered key: anyone can send these by the thousand. Audited in aggregate, one event
        # per address and window with the count (a signed refusal keeps its own event: the hospital is known).
        refusals.note(kind="launch", action=Action.LAUNCH_REFUSED, source=request.META.get("REMOTE_ADDR", ""),
                      reason=refusal.reason, actor_label="appel contextuel (émetteur non vérifié)",
                      details={"detail": refusal.detail[:300], "issuer": refusal.issuer[:200],
                               "signature_verified": False})
    else:
        services.record_refusal(refusal=refusal)
    # The hospital did sign a launch for another doctor: do not leave the previous one signed in behind the
    # error page. An unverified request changes nobody's session.
    if refusal.key is not None and request.user.is_authenticated and (
            request.user.practitioner is None or request.user.practitioner.rpps != refusal.rpps):
        logout(request)
    return render(request, "launch/refused.html", {
        "refusal": refusal, "hospital": refusal.key.organisation if refusal.key is not None else None,
    }, status=refusal.status)
