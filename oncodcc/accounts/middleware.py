"""Enforcement of the second factor: a session signed in with a password alone reaches the second-factor pages
(code, enrolment), sign-out, and nothing else.

- A page that needs a signed-in user (every page but those marked `login_not_required`, the admin included) is
  redirected to the code page — or to the enrolment page when the account has no device yet — with `next`; an
  htmx request gets an `HX-Redirect` to it instead.
- A view open without login (health, the FHIR API, the SMART token endpoint, the contextual launch, the JSON API
  whose operations answer 401 themselves) sees such a session as anonymous: a bearer token still works, the
  session's identity does not. So token-authenticated machine calls are untouched, and a password alone opens
  nothing through the API either.
- A session whose device was withdrawn since (an administrator reset the second factor) loses its strong mark.
Static files are served before the middleware chain (whitenoise).
"""

from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from . import otp, strong_auth

# The URL names a password-only session may reach (besides the views open without login, seen as anonymous).
SECOND_FACTOR_PAGES = frozenset({"accounts:otp_verify", "accounts:otp_setup", "accounts:logout", "accounts:login"})


def second_factor_url(user, next_url: str = "") -> str:
    name = "accounts:otp_verify" if otp.is_enrolled(user) else "accounts:otp_setup"
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if strong_auth.is_strong(request):
            if not otp.device_withdrawn(request):
                return None
            request.session.pop(strong_auth.SESSION_KEY, None)
            request.session.pop(otp.DEVICE_SESSION_KEY, None)
        match = request.resolver_match
        if match is not None and match.view_name in SECOND_FACTOR_PAGES:
            return None
        if not getattr(view_func, "login_required", True):
            request.user = AnonymousUser()
            request.auser = _anonymous
            return None
        if request.htmx:
            next_url = request.htmx.current_url_abs_path or ""
        else:
            next_url = request.get_full_path() if request.method == "GET" else ""
        target = second_factor_url(user, next_url)
        if request.htmx:
            return HttpResponseClientRedirect(target)
        return redirect(target)


async def _anonymous():
    return AnonymousUser()
