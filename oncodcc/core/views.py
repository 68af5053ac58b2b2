"""Health check and error pages (the refusal of a patient's record: front.errors)."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
@login_not_required
def health(request):
    """Liveness and database status, for load balancers and monitoring (no patient data)."""
    database = {"vendor": connection.vendor}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database["status"] = "ok"
    except Exception as exc:  # any driver error means the database is down for us
        database.update(status="error", error=exc.__class__.__name__)
    ok = database["status"] == "ok"
    return JsonResponse({"status": "ok" if ok else "error", "database": database}, status=200 if ok else 503)


# --- error pages (handlers in oncodcc/urls.py): French, never internals; DEBUG is off outside developer mode ---

def error_page(request, code: int, title: str, message: str) -> HttpResponse:
    return render(request, "core/error.html", {"code": code, "title": title, "message": message}, status=code)


def bad_request(request, exception=None):
    # The exception's text (e.g. a refused Host header) is for the logs, not for the page.
    return error_page(request, 400, "Requête invalide", "Cette requête n'a pas pu être traitée.")


def not_found(request, exception=None):
    return error_page(request, 404, "Page introuvable", "Cette page n'existe pas ou plus.")


def method_not_allowed(request) -> HttpResponse:
    return error_page(request, 405, "Action non permise",
                       "Cette page ne s'utilise pas ainsi : revenez en arrière et utilisez ses liens et boutons.")


def server_error(request):
    """Rendered without the request context nor the database: the failure may be theirs."""
    return HttpResponseServerError(loader.get_template("500.html").render())
