"""`/comptes/psc/…`: signing in with Pro Santé Connect (the protocol is in `client`).

`connexion/` starts the flow — a plain link from the login page: a form posted to us and redirected to PSC would be
stopped by the CSP's form-action —, `retour/` is the redirect URI registered with the ANS. A PSC sign-in is a strong
authentication (no second factor asked). Errors are French pages back to the login, never a 500; every refusal is
audited: in aggregate when PSC attested nobody (anyone can call the return URL by the thousand), with its own event
when PSC did attest an RPPS. Application logs carry the reason code only, never an identity.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from oncodcc.accounts import psc, strong_auth
from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core import refusals
from oncodcc.core.actors import SystemActor

BACKEND = "django.contrib.auth.backends.ModelBackend"
logger = logging.getLogger(__name__)


def _require_enabled() -> None:
    if not psc.enabled():
        raise Http404("Pro Santé Connect n'est pas configuré.")


@login_not_required
@never_cache
@require_GET
def start(request):
    _require_enabled()
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = ""
    try:
        url = psc.begin(request.session, redirect_uri=request.build_absolute_uri(reverse("accounts:psc_callback")),
                        next_url=next_url)
    except psc.PscRefused as refusal:
        return _refused(request, refusal)
    return redirect(url)


@login_not_required
@never_cache
@require_GET
def callback(request):
    _require_enabled()
    try:
        identity, next_url = psc.complete(request.session, request.GET)
        with transaction.atomic():
            user = psc.account_for(identity)
            _sign_in(request, user, identity)
    except psc.PscRefused as refusal:
        return _refused(request, refusal)
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


def _sign_in(request, user, identity: psc.Identity) -> None:
    """Sign the professional in on a new session key, marked strong; whoever else was signed in here is signed out."""
    if request.user.is_authenticated and request.user.pk != user.pk:
        logout(request)
    request.session.cycle_key()  # login() keeps the key when the same user is already signed in (with a password)
    login(request, user, backend=BACKEND)
    strong_auth.mark(request, strong_auth.PRO_SANTE_CONNECT)
    audit.record(actor=user, action=Action.PSC_LOGIN, obj=user,
                 details={"method": strong_auth.PRO_SANTE_CONNECT, "acr": identity.acr,
                          "auth_mode": identity.auth_mode})


def _refused(request, refusal: psc.PscRefused):
    logger.info("Pro Santé Connect sign-in refused: reason=%s", refusal.reason)
    identity = refusal.identity
    if identity is None:
        refusals.note(kind="psc", action=Action.PSC_REFUSED, source=request.META.get("REMOTE_ADDR", ""),
                      reason=refusal.reason, actor_label="connexion Pro Santé Connect (non identifiée)",
                      details={"detail": refusal.detail})
    else:
        _record_refusal(refusal)
        # PSC attested someone else than the account signed in in this browser: do not leave that session behind.
        if request.user.is_authenticated and getattr(request.user.practitioner, "rpps", None) != identity.rpps:
            logout(request)
    if refusal.reason in psc.TO_ACCOUNT_REQUEST:
        request.session[psc.SESSION_IDENTITY] = identity.prefill()
        messages.info(request, "Aucun compte OncoDCC n'est lié à votre numéro RPPS : faites votre demande de compte, "
                               "votre identité Pro Santé Connect y est reprise.")
        return redirect(psc.ACCOUNT_REQUEST_PATH)
    return render(request, "accounts/psc_refused.html", {"refusal": refusal}, status=refusal.status)


@transaction.atomic
def _record_refusal(refusal: psc.PscRefused) -> None:
    """A refusal of an identity PSC attested (unknown RPPS, no account, inactive account): its own event, with the
    RPPS (public, from the national directory) and never the name; on the account when there is one."""
    identity = refusal.identity
    audit.record(actor=SystemActor(label="Pro Santé Connect", role="psc"), action=Action.PSC_REFUSED,
                 obj=refusal.user, reason=refusal.reason,
                 details={"reason": refusal.reason, "rpps": identity.rpps, "acr": identity.acr,
                          "signature_verified": True})
