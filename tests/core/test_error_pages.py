"""Error pages with DEBUG off (the default, and `make run`'s): French, without internals — no URL patterns on a
404, no exception text, settings or local variables on a 500."""

from html import unescape

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from django.views.decorators.http import require_POST

from oncodcc.urls import urlpatterns as project_patterns


def explode(request):
    secret_text = "Texte de fiche confidentiel : T2 N1"  # a local variable that a DEBUG page would show
    raise RuntimeError(f"boom {secret_text}")


def refuse(request):
    raise PermissionDenied("Vous n'avez pas accès à ce dossier.")


@require_POST
def post_only(request):
    return HttpResponse("ok")


urlpatterns = [
    path("essai/erreur/", explode),
    path("essai/refus/", refuse),
    path("essai/post/", post_only),
    *project_patterns,
]
handler400 = "oncodcc.core.views.bad_request"
handler403 = "oncodcc.front.errors.forbidden"
handler404 = "oncodcc.core.views.not_found"
handler500 = "oncodcc.core.views.server_error"

pytestmark = pytest.mark.urls(__name__)


def test_debug_is_off(settings):
    assert settings.DEBUG is False


def test_anonymous_404_shows_no_url_patterns(client, db):
    response = client.get("/pas/de/page/ici/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page introuvable" in html and 'lang="fr"' in html
    for internal in ("URLconf", "patients/", "comptes/", "Using the URLconf", "Raised by"):
        assert internal not in html


def test_view_raising_gives_the_french_500_without_the_exception(member_doctor):
    client = Client(raise_request_exception=False)
    client.force_login(member_doctor)
    response = client.get("/essai/erreur/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Erreur interne" in html and "Une erreur inattendue est survenue" in html
    for internal in ("boom", "RuntimeError", "Texte de fiche", "secret_text", "Traceback", "SECRET_KEY",
                     "DATABASES"):
        assert internal not in html


def test_500_page_needs_neither_the_request_nor_the_database():
    from oncodcc.core.views import server_error

    response = server_error(None)  # no request, and no database access allowed in this test
    assert response.status_code == 500
    assert "Erreur interne" in response.content.decode()


def test_403_page_is_french_with_the_reason(client, member_doctor):
    client.force_login(member_doctor)
    response = client.get("/essai/refus/")
    assert response.status_code == 403
    assert "Vous n'avez pas accès à ce dossier." in unescape(response.content.decode())


def test_400_page_hides_the_reason(client, db):
    response = client.get("/pas/de/page/", headers={"host": "attaquant.example"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Requête invalide" in html
    assert "attaquant.example" not in html and "ALLOWED_HOSTS" not in html


def test_405_is_a_french_page_with_allow(client, member_doctor):
    client.force_login(member_doctor)
    response = client.get("/essai/post/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "Action non permise" in response.content.decode()
    assert "Content-Security-Policy" in response.headers


def test_csrf_refusal_is_french(member_doctor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member_doctor)
    response = client.post("/comptes/deconnexion/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Formulaire expiré" in html and "CSRF" not in html
