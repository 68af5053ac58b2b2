"""/api/: the versioned HTTP API. Its operations answer 401 themselves (django-ninja session auth) instead of
the login redirect of LoginRequiredMiddleware; the OpenAPI schema and docs stay behind the login."""

from django.urls import path

from .api import api

DOCS = {"openapi-json", "openapi-view"}


def _v1():
    patterns, ninja_app, ninja_namespace = api.urls
    for pattern in patterns:
        if getattr(pattern, "name", None) not in DOCS and hasattr(pattern, "callback"):
            pattern.callback.login_required = False
    return patterns, ninja_app, ninja_namespace


urlpatterns = [
    path("v1/", _v1()),
]
