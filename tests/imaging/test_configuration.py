"""Image sources: `dcc imaging register-source` and the admin (the secret written, never shown back; audited);
the panel's place on the patient record and in meeting mode."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.imaging.models import ImageSource
from tests import factories as f
from tests.audit.admin_forms import page_data


def test_register_source_creates_then_updates(db, hospital, monkeypatch, capsys):
    monkeypatch.setenv("PACS_SECRET", "jeton-synthetique")
    call_command("imaging", "register-source", "--finess", hospital.finess, "--qido-url",
                 "https://pacs.example.test/dicom-web", "--viewer-url",
                 "https://viewer.example.test/?StudyInstanceUIDs={study_uid}", "--auth", "bearer",
                 "--secret-env", "PACS_SECRET", "--timeout", "4")
    source = ImageSource.objects.get()
    assert (source.organisation, source.auth, source.secret, source.timeout) == (
        hospital, "bearer", "jeton-synthetique", 4.0)
    assert "déclarée" in capsys.readouterr().out
    call_command("imaging", "register-source", "--finess", hospital.finess, "--qido-url",
                 "https://pacs.example.test/dicom-web", "--name", "PACS régional", "--search-by-ins")
    source = ImageSource.objects.get()
    assert (source.name, source.auth, source.secret, source.search_by_ins) == ("PACS régional", "none", "", True)
    assert "mise à jour" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action=Action.IMAGING_SOURCE_REGISTER).count() == 2
    call_command("imaging", "list-sources")
    assert "https://pacs.example.test/dicom-web" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["--finess", "000000000"], "Aucun établissement n'a le FINESS 000000000"),
    (["--auth", "basic", "--username", "u"], "--auth basic demande --secret-env"),
    (["--secret-env", "ABSENT_VARIABLE"], "ABSENT_VARIABLE est vide ou absente"),
    (["--viewer-url", "https://viewer.example.test/"], "doit contenir {study_uid}"),
    (["--timeout", "0"], "entre 0 et 60 secondes"),
])
def test_register_source_refuses_bad_input_in_french(db, hospital, args, message):
    base = ["--finess", hospital.finess, "--qido-url", "https://pacs.example.test/dicom-web"]
    with pytest.raises(CommandError, match=message.replace("{", r"\{").replace("}", r"\}")):
        call_command("imaging", "register-source", *base, *args)
    assert not ImageSource.objects.exists()


def test_admin_writes_the_secret_never_shows_it_and_audits(client, db, hospital):
    admin = f.UserFactory(role="admin_dsrc", is_staff=True)
    client.force_login(admin)
    url = "/admin/imaging/imagesource/add/"
    data = page_data(client, url) | {
        "organisation": str(hospital.pk), "name": "PACS du CH", "dicomweb_url": "https://pacs.example.test/dicom-web",
        "auth": "basic", "username": "dcc", "timeout": "5", "active": "on",
    }
    missing = client.post(url, data)
    assert missing.status_code == 200 and "demande un mot de passe ou un jeton" in missing.content.decode()
    assert client.post(url, data | {"secret": "Secret-Synthetique-1"}).status_code == 302
    source = ImageSource.objects.get()
    assert source.secret == "Secret-Synthetique-1"
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT secret FROM imaging_imagesource")
        stored = cursor.fetchone()[0]
    assert stored.startswith("fernet:") and "Secret-Synthetique-1" not in stored
    change = f"/admin/imaging/imagesource/{source.pk}/change/"
    page = client.get(change).content.decode()
    assert "Secret-Synthetique-1" not in page
    # Saved again with the secret left blank: kept.
    assert client.post(change, page_data(client, change) | {"name": "PACS du CH (site nord)"}).status_code == 302
    source.refresh_from_db()
    assert source.secret == "Secret-Synthetique-1" and source.name == "PACS du CH (site nord)"
    events = AuditEvent.objects.filter(object_type="imaging.imagesource").order_by("pk")
    assert [e.action for e in events] == ["admin.add", "admin.change"]
    assert events[1].details["fields"] == ["name"]  # the secret left blank is not a change
    assert "Secret-Synthetique-1" not in str([e.details for e in events])


def test_a_3c_administrator_does_not_manage_image_sources(client, db):
    client.force_login(f.UserFactory(role="admin_3c", is_staff=True))
    assert client.get("/admin/imaging/imagesource/").status_code == 403


def test_the_record_and_meeting_mode_load_the_panel(client, coordinator, registration):
    client.force_login(coordinator)
    record = client.get(reverse("patients:detail", args=[registration.patient_id])).content.decode()
    assert f'hx-get="/imagerie/patient/{registration.patient_id}/"' in record
    registration.position = 1
    registration.save()
    page = client.get(reverse("rcp:meeting_mode_case", args=[registration.meeting_id, 1])).content.decode()
    assert f'hx-get="/imagerie/patient/{registration.patient_id}/?inscription={registration.pk}"' in page


def test_a_secret_unreadable_after_a_key_change_reads_as_empty(db, hospital, settings):
    source = ImageSource.objects.create(organisation=hospital, name="PACS", dicomweb_url="https://pacs.example.test/",
                                        auth="bearer", secret="jeton-synthetique")
    assert ImageSource.objects.get(pk=source.pk).secret == "jeton-synthetique"
    settings.SECRET_KEY = "une-autre-cle-de-test-" + "x" * 40
    assert ImageSource.objects.get(pk=source.pk).secret == ""
