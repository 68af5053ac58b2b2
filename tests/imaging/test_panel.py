"""The "Imagerie" panel against a real PACS (Orthanc + DICOMweb), a PACS that is down, slow or refuses, and the
redirect to the viewer: checked by the policy, audited in the patient's history."""

import time

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from tests import factories as f
from tests.diffusion.scripted import free_port

from .conftest import PACS_PASSWORD, make_source


def panel(client, patient, registration=None):
    url = f"/imagerie/patient/{patient.pk}/" + (f"?inscription={registration.pk}" if registration else "")
    return client.get(url)


def test_panel_lists_the_patients_studies_found_in_orthanc(client, coordinator, patient, orthanc_source, pacs):
    client.force_login(coordinator)
    response = panel(client, patient)
    html = response.content.decode()
    assert response.status_code == 200
    assert "TDM thoraco-abdomino-pelvienne" in html and "2 séries" in html and "12/10/2026" in html
    assert "IRM mammaire bilatérale" in html and "1 série" in html and "PACS du CH de Démo" in html
    # Most recent first; the homonym of another issuer and another patient's study are not shown.
    assert html.index("IRM mammaire") < html.index("TDM thoraco")
    assert "Radiographie de l" not in html and "Échographie" not in html
    event = AuditEvent.objects.get(action=Action.IMAGING_STUDIES_VIEW)
    assert event.patient_id == patient.pk and event.actor_id == coordinator.pk
    assert event.details["studies"] == 2 and event.details["unavailable"] == 0


def test_wrong_password_is_a_clear_message_not_an_error(client, coordinator, patient, orthanc_source):
    orthanc_source.secret = PACS_PASSWORD + "-faux"
    orthanc_source.save()
    client.force_login(coordinator)
    response = panel(client, patient)
    assert response.status_code == 200
    assert "« PACS du CH de Démo » a refusé l&#x27;accès" in response.content.decode()
    assert AuditEvent.objects.get(action=Action.IMAGING_STUDIES_VIEW).details["unavailable"] == 1


def test_source_down_says_so(client, coordinator, patient, hospital):
    make_source(hospital, f"http://127.0.0.1:{free_port()}/dicom-web")
    client.force_login(coordinator)
    html = panel(client, patient).content.decode()
    assert "« PACS du CH de Démo » est injoignable pour le moment" in html


def test_slow_source_times_out_without_holding_the_page(client, coordinator, patient, hospital, tiny_pacs):
    slow = tiny_pacs(delay=3)
    make_source(hospital, slow.url, timeout=0.5)
    client.force_login(coordinator)
    started = time.monotonic()
    html = panel(client, patient).content.decode()
    assert time.monotonic() - started < 2.5
    assert "ne répond pas assez vite (plus de 0.5 s)" in html


def test_answers_are_cached_briefly_and_failures_are_not(client, coordinator, patient, hospital, tiny_pacs, settings):
    pacs = tiny_pacs()
    make_source(hospital, pacs.url)
    client.force_login(coordinator)
    assert "TEP-TDM au FDG" in panel(client, patient).content.decode()
    assert "0 série" in panel(client, patient).content.decode()
    assert pacs.requests == 1
    settings.DCC_IMAGING_CACHE_SECONDS = 0
    from django.core.cache import cache

    cache.clear()
    panel(client, patient)
    assert pacs.requests == 2


def test_no_source_configured(client, coordinator, patient):
    client.force_login(coordinator)
    html = panel(client, patient).content.decode()
    assert "Aucune source d'images n'est configurée" in html
    assert not AuditEvent.objects.filter(action=Action.IMAGING_STUDIES_VIEW).exists()


def test_outsider_is_refused_and_the_pacs_not_asked(client, patient, hospital, tiny_pacs):
    pacs = tiny_pacs()
    make_source(hospital, pacs.url)
    outsider = f.DoctorFactory()
    client.force_login(outsider)
    assert panel(client, patient).status_code == 403
    in_page = client.get(f"/imagerie/patient/{patient.pk}/", HTTP_HX_REQUEST="true")
    assert in_page.status_code == 200 and "Vous n'avez pas accès aux examens" in in_page.content.decode()
    assert pacs.requests == 0
    assert not AuditEvent.objects.filter(action=Action.IMAGING_STUDIES_VIEW).exists()
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, patient_id=patient.pk).count() == 2


def test_opening_a_study_redirects_to_the_viewer_and_is_audited(client, coordinator, patient, orthanc_source, pacs):
    client.force_login(coordinator)
    uid = pacs.studies["ct"]
    response = client.get(f"/imagerie/patient/{patient.pk}/examen/{orthanc_source.pk}/{uid}/")
    assert response.status_code == 302
    assert response["Location"] == f"https://viewer.example.test/viewer?StudyInstanceUIDs={uid}"
    event = AuditEvent.objects.get(action=Action.IMAGING_STUDY_VIEW)
    assert event.patient_id == patient.pk and event.details == {"study_uid": uid}


def test_a_study_of_another_patient_is_not_opened(client, coordinator, patient, orthanc_source, pacs):
    client.force_login(coordinator)
    for key in ("other", "homonym"):
        url = f"/imagerie/patient/{patient.pk}/examen/{orthanc_source.pk}/{pacs.studies[key]}/"
        assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.IMAGING_STUDY_VIEW).exists()


def test_opening_is_refused_to_an_outsider(client, patient, orthanc_source, pacs):
    client.force_login(f.DoctorFactory())
    response = client.get(f"/imagerie/patient/{patient.pk}/examen/{orthanc_source.pk}/{pacs.studies['ct']}/")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=Action.IMAGING_STUDY_VIEW).exists()
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, patient_id=patient.pk).exists()


def test_opening_when_the_source_is_down_says_why(client, coordinator, patient, hospital):
    source = make_source(hospital, f"http://127.0.0.1:{free_port()}/dicom-web")
    client.force_login(coordinator)
    response = client.get(f"/imagerie/patient/{patient.pk}/examen/{source.pk}/1.2.3.4/")
    assert response.status_code == 503 and "injoignable" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.IMAGING_STUDY_VIEW).exists()


def test_a_source_searching_by_ins_finds_a_qualified_patients_studies(client, coordinator, patient, pacs, db):
    from oncodcc.imaging.models import ImageSource
    from oncodcc.patients.models import IdentityStatus

    from .conftest import INS, INS_OID, PACS_USER

    network = f.OrganisationFactory(name="Réseau régional d'images")  # knows no IPP of the patient
    make_source(network, pacs.dicomweb_url, name="Réseau régional", auth=ImageSource.Auth.BASIC, username=PACS_USER,
                secret=PACS_PASSWORD, search_by_ins=True)
    patient.ins_matricule, patient.ins_oid = INS, INS_OID
    patient.identity_status = IdentityStatus.PROVISIONAL
    patient.save()
    client.force_login(coordinator)
    html = panel(client, patient).content.decode()
    assert "TEP-TDM du réseau régional" not in html  # an unqualified identity is never searched by INS

    from django.core.cache import cache

    cache.clear()
    patient.identity_status = IdentityStatus.QUALIFIED
    patient.save()
    html = panel(client, patient).content.decode()
    assert "TEP-TDM du réseau régional" in html and "Réseau régional" in html
    assert "TDM thoraco" not in html  # the network's source is not asked by the hospitals' IPPs
