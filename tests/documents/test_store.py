"""The document store: a validated fiche becomes a document, the worker renders PDF/A and CDA (kept with their
SHA-256), downloads are authorised and audited, failures are recorded, `dcc documents export` writes an archive."""

import csv
import hashlib

import pytest
from django.core.management import call_command
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.documents import services
from oncodcc.documents.models import Document, Rendering
from oncodcc.rcp.services import fiches
from tests import factories as f


@pytest.fixture
def validated(held_meeting, registration, coordinator, django_capture_on_commit_callbacks):
    fiche = f.complete_fiche(registration, created_by=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    fiche.refresh_from_db()
    return fiche


def test_validation_stores_and_renders_both_formats(validated):
    document = Document.objects.get(fiche=validated)
    assert (document.kind, document.type_code, document.version_number) == ("frcp", "34794-8", 1)
    assert document.set_id == validated.set_id and document.status == "current"
    renderings = {r.format: r for r in document.renderings.all()}
    assert {r.state for r in renderings.values()} == {"ready"}
    assert renderings["pdf"].size > 1000 and len(renderings["pdf"].sha256) == 64


def test_download_is_authorised_audited_and_checked(client, validated, coordinator, outsider):
    document = Document.objects.get(fiche=validated)
    client.force_login(coordinator)
    response = client.get(f"/documents/{document.pk}/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert hashlib.sha256(response.content).hexdigest() == response["X-Content-SHA256"]
    cda = client.get(f"/documents/{document.pk}/cda/")
    assert b"ClinicalDocument" in cda.content and b"34794-8" in cda.content
    assert AuditEvent.objects.filter(action="document.download", patient_id=validated.patient_id).count() == 2
    client.force_login(outsider)
    assert client.get(f"/documents/{document.pk}/pdf/").status_code == 403
    assert client.get(f"/documents/{document.pk}/zip/").status_code == 404


def test_downloads_are_named_after_the_kind_the_patient_the_date_and_the_version(client, validated, coordinator):
    patient = validated.patient
    patient.birth_name, patient.first_birth_given_name, patient.used_given_name = "Dubois-Lefèvre", "Éloïse", ""
    patient.save()
    document = Document.objects.get(fiche=validated)
    client.force_login(coordinator)
    day = timezone.localtime(document.effective_at or document.created_at).date().isoformat()
    pdf = client.get(f"/documents/{document.pk}/pdf/")
    assert pdf["Content-Disposition"] == f'attachment; filename="Fiche-RCP_DUBOIS-LEFEVRE_Eloise_{day}_v1.pdf"'
    cda = client.get(f"/documents/{document.pk}/cda/")
    assert cda["Content-Disposition"].endswith(f'_{day}_v1.xml"') and str(document.set_id) not in cda["Content-Disposition"]


def test_fiche_page_and_record_offer_the_downloads(client, validated, coordinator):
    document = Document.objects.get(fiche=validated)
    client.force_login(coordinator)
    assert f"/documents/{document.pk}/pdf/" in client.get(f"/rcp/fiches/{validated.pk}/").content.decode()
    record = client.get(f"/patients/{validated.patient_id}/").content.decode()
    assert f"/documents/{document.pk}/cda/" in record and "Fiche RCP" in record


def test_a_correction_supersedes_the_previous_document(validated, coordinator, django_capture_on_commit_callbacks):
    v2 = fiches.correct(actor=coordinator, fiche=validated, reason="Latéralité corrigée")
    with django_capture_on_commit_callbacks(execute=True):
        fiches.validate(actor=coordinator, fiche=v2, expected_version=v2.lock_version)
    statuses = dict(Document.objects.filter(set_id=validated.set_id).values_list("version_number", "status"))
    assert statuses == {1: "superseded", 2: "current"}


def test_a_failed_rendering_is_recorded_and_the_other_kept(held_meeting, registration, coordinator, monkeypatch,
                                                           client):
    fiche = f.complete_fiche(registration, created_by=coordinator)
    fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)  # on_commit not run
    document = Document.objects.get(fiche=fiche)
    client.force_login(coordinator)
    pending = client.get(f"/documents/{document.pk}/statut/").content.decode()
    assert "génération en cours" in pending and 'hx-trigger="every 2s"' in pending
    assert client.get(f"/documents/{document.pk}/pdf/").status_code == 409

    real = services._produce

    def broken(doc, fmt):
        if fmt == "pdf":
            raise RuntimeError("police introuvable")
        return real(doc, fmt)

    monkeypatch.setattr(services, "_produce", broken)
    assert services.render(document.pk) == {"pdf": "failed", "cda": "ready"}
    failed = Rendering.objects.get(document=document, format="pdf")
    assert failed.attempts == 1 and "police introuvable" in failed.error
    assert "échec de la génération" in client.get(f"/documents/{document.pk}/statut/").content.decode()
    monkeypatch.setattr(services, "_produce", real)
    call_command("documents", "render", "--now")
    assert Rendering.objects.get(document=document, format="pdf").state == "ready"


def test_export_writes_renderings_and_manifest(validated, tmp_path):
    out = tmp_path / "archive"
    call_command("documents", "export", "--out", str(out), "--kind", "frcp")
    rows = list(csv.DictReader((out / "manifest.csv").open(encoding="utf-8"), delimiter=";"))
    assert {r["format"] for r in rows} == {"pdf", "cda"}
    for row in rows:
        content = (out / row["file"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == row["sha256"]
        assert row["patient_id"] == str(validated.patient_id) and row["version"] == "1"
    call_command("documents", "export", "--out", str(tmp_path / "none"), "--since", "2999-01-01")
    assert (tmp_path / "none" / "manifest.csv").read_text(encoding="utf-8").count("\n") == 1
    assert AuditEvent.objects.filter(action="document.export").count() == 2
