import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from oncodcc.questionnaires.models import Questionnaire
from tests import factories as f
from tests.questionnaires.helpers import breast, with_version


@pytest.fixture
def admin_client(client, db):
    client.force_login(f.UserFactory(role="admin_dsrc", is_staff=True))
    return client


def upload(data) -> SimpleUploadedFile:
    return SimpleUploadedFile("sein.json", json.dumps(data).encode(), content_type="application/json")


def test_import_publishes_a_new_version(admin_client):
    response = admin_client.post("/admin/questionnaires/questionnaire/importer/", {"file": upload(breast())})
    assert response.status_code == 302
    response = admin_client.post("/admin/questionnaires/questionnaire/importer/",
                                 {"file": upload(with_version(breast(), "1.1.0"))})
    assert sorted(Questionnaire.objects.values_list("version", flat=True)) == ["1.0.0", "1.1.0"]
    assert "1.1.0" in admin_client.get("/admin/questionnaires/questionnaire/").content.decode()


def test_import_refuses_a_bad_definition_with_the_item_and_reason(admin_client):
    bad = breast()
    bad["item"][0]["item"][0]["type"] = "attachment"
    response = admin_client.post("/admin/questionnaires/questionnaire/importer/", {"file": upload(bad)})
    page = response.content.decode()
    assert response.status_code == 200 and "statut_menopausique" in page and "non pris en charge" in page
    assert not Questionnaire.objects.exists()


def test_import_refuses_changing_a_published_version(admin_client):
    admin_client.post("/admin/questionnaires/questionnaire/importer/", {"file": upload(breast())})
    changed = breast()
    changed["title"] = "Autre"
    page = admin_client.post("/admin/questionnaires/questionnaire/importer/", {"file": upload(changed)}).content.decode()
    assert "déjà publiée" in page
    assert Questionnaire.objects.get().title == "Fiche RCP — Sein"


def test_clinicians_cannot_import(client, db):
    client.force_login(f.DoctorFactory(is_staff=True))
    response = client.post("/admin/questionnaires/questionnaire/importer/", {"file": upload(breast())})
    assert response.status_code == 302 and not Questionnaire.objects.exists()
