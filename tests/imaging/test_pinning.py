"""The secretary pins studies to a registration ("images à projeter"): shown first in meeting mode, audited;
those who do not organise the board cannot, and nothing is written when they try."""

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.imaging.models import PinnedStudy
from tests import factories as f

from .conftest import make_source


def test_the_secretary_pins_a_study_shown_first_then_unpins_it(client, secretary, registration, hospital, tiny_pacs):
    source = make_source(hospital, tiny_pacs().url)
    client.force_login(secretary)
    panel_url = f"/imagerie/patient/{registration.patient_id}/?inscription={registration.pk}"
    html = client.get(panel_url).content.decode()
    assert "Aucun examen choisi pour la séance." in html and "à projeter</button>" in html

    response = client.post(f"/imagerie/inscription/{registration.pk}/epingler/",
                           {"source": source.pk, "study": "1.2.3.4"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    pinned = PinnedStudy.objects.get()
    assert (pinned.registration, pinned.source, pinned.study_uid, pinned.modalities) == (
        registration, source, "1.2.3.4", "PT, CT")
    assert pinned.description == "TEP-TDM au FDG" and pinned.pinned_by == secretary
    html = response.content.decode()
    assert html.index("Images à projeter") < html.index("TEP-TDM au FDG") < html.index("Autres examens")
    event = AuditEvent.objects.get(action=Action.IMAGING_STUDY_PIN)
    assert event.patient_id == registration.patient_id and event.details["registration"] == registration.pk

    # Pinning twice keeps one.
    client.post(f"/imagerie/inscription/{registration.pk}/epingler/", {"source": source.pk, "study": "1.2.3.4"})
    assert PinnedStudy.objects.count() == 1

    response = client.post(f"/imagerie/inscription/{registration.pk}/retirer/{pinned.pk}/")
    assert response.status_code == 200 and not PinnedStudy.objects.exists()
    assert AuditEvent.objects.filter(action=Action.IMAGING_STUDY_UNPIN, patient_id=registration.patient_id).exists()


def test_a_pinned_study_stays_listed_when_its_source_is_down(client, secretary, registration, hospital, tiny_pacs):
    pacs = tiny_pacs()
    source = make_source(hospital, pacs.url)
    client.force_login(secretary)
    client.post(f"/imagerie/inscription/{registration.pk}/epingler/", {"source": source.pk, "study": "1.2.3.4"})
    pacs.close()
    from django.core.cache import cache

    cache.clear()
    html = client.get(f"/imagerie/patient/{registration.patient_id}/?inscription={registration.pk}").content.decode()
    assert "injoignable" in html and "TEP-TDM au FDG" in html
    # Still opened in the viewer: it was pinned to this patient's registration.
    response = client.get(f"/imagerie/patient/{registration.patient_id}/examen/{source.pk}/1.2.3.4/")
    assert response.status_code == 302 and response["Location"].endswith("StudyInstanceUIDs=1.2.3.4")


def test_an_unknown_study_is_refused_with_a_french_message(client, secretary, registration, hospital, tiny_pacs):
    source = make_source(hospital, tiny_pacs().url)
    client.force_login(secretary)
    response = client.post(f"/imagerie/inscription/{registration.pk}/epingler/",
                           {"source": source.pk, "study": "9.9.9"})
    assert response.status_code == 400
    assert "n&#x27;a pas été retrouvé" in response.content.decode()
    response = client.post(f"/imagerie/inscription/{registration.pk}/epingler/", {"source": "x", "study": ""},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "n&#x27;a pas été retrouvé" in response.content.decode()
    assert not PinnedStudy.objects.exists() and not AuditEvent.objects.filter(action=Action.IMAGING_STUDY_PIN).exists()


def test_a_board_member_who_does_not_organise_cannot_pin(client, board, registration, hospital, tiny_pacs):
    source = make_source(hospital, tiny_pacs().url)
    member = f.DoctorFactory()
    f.add_member(board, member.practitioner)
    client.force_login(member)
    html = client.get(f"/imagerie/patient/{registration.patient_id}/?inscription={registration.pk}").content.decode()
    assert "TEP-TDM au FDG" in html and "à projeter</button>" not in html
    response = client.post(f"/imagerie/inscription/{registration.pk}/epingler/",
                           {"source": source.pk, "study": "1.2.3.4"})
    assert response.status_code == 403
    assert not PinnedStudy.objects.exists()
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, patient_id=registration.patient_id).exists()


def test_a_registration_of_another_patient_is_not_found(client, coordinator, registration, board):
    other = f.RegistrationFactory(meeting=registration.meeting)
    client.force_login(coordinator)
    assert client.get(f"/imagerie/patient/{registration.patient_id}/?inscription={other.pk}").status_code == 404
    assert client.get(f"/imagerie/patient/{registration.patient_id}/?inscription=abc").status_code == 404


def test_a_pinned_study_shows_its_key_image_rendered_by_the_pacs(client, secretary, registration, orthanc_source,
                                                                  pacs):
    client.force_login(secretary)
    uid = pacs.studies["ct"]
    client.post(f"/imagerie/inscription/{registration.pk}/epingler/", {"source": orthanc_source.pk, "study": uid})
    pinned = PinnedStudy.objects.get()
    assert pinned.key_series_uid and pinned.key_instance_uid
    html = client.get(f"/imagerie/patient/{registration.patient_id}/?inscription={registration.pk}").content.decode()
    assert f'src="/imagerie/image-cle/{pinned.pk}/"' in html and "Image clé : TDM thoraco-abdomino-pelvienne" in html

    response = client.get(f"/imagerie/image-cle/{pinned.pk}/")
    assert response.status_code == 200 and response["Content-Type"] in ("image/jpeg", "image/png")
    assert response.content[:4] in (b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb", b"\x89PNG")
    event = AuditEvent.objects.get(action=Action.IMAGING_STUDY_VIEW)
    assert event.patient_id == registration.patient_id and event.details == {"study_uid": uid, "key_image": True}

    # Refused to an outsider, audited as such; the PACS's failure is a French message, not a 500.
    client.force_login(f.DoctorFactory())
    assert client.get(f"/imagerie/image-cle/{pinned.pk}/").status_code == 403
    client.force_login(secretary)
    orthanc_source.secret = "faux"
    orthanc_source.save()
    refused = client.get(f"/imagerie/image-cle/{pinned.pk}/")
    assert refused.status_code == 503 and "a refusé l'accès" in refused.content.decode()
    assert AuditEvent.objects.filter(action=Action.IMAGING_STUDY_VIEW).count() == 1


def test_a_study_is_pinned_without_key_image_when_the_source_cannot_list_its_instances(
        client, secretary, registration, hospital, tiny_pacs):
    # The tiny PACS answers every search with the same study, without series nor instance UIDs.
    source = make_source(hospital, tiny_pacs().url)
    client.force_login(secretary)
    client.post(f"/imagerie/inscription/{registration.pk}/epingler/", {"source": source.pk, "study": "1.2.3.4"})
    pinned = PinnedStudy.objects.get()
    assert pinned.key_instance_uid == ""
    assert client.get(f"/imagerie/image-cle/{pinned.pk}/").status_code == 404


def test_the_rooms_screen_shows_the_pinned_studies_with_their_key_image(client, coordinator, secretary, registration,
                                                                        hospital):
    from django.urls import reverse

    from oncodcc.rcp.models import Meeting

    source = make_source(hospital, "https://pacs.example.test/dicom-web")
    pinned = PinnedStudy.objects.create(registration=registration, source=source, study_uid="1.2.3.4",
                                        modalities="PT, CT", description="TEP-TDM au FDG", key_series_uid="1.2.3.4.1",
                                        key_instance_uid="1.2.3.4.1.1")
    meeting = registration.meeting
    meeting.status = Meeting.Status.OPEN
    meeting.save(update_fields=["status"])
    registration.position = 1
    registration.save()
    client.force_login(coordinator)
    assert client.get(reverse("rcp:meeting_mode_case", args=[meeting.pk, 1])).status_code == 200
    client.force_login(secretary)
    html = client.get(reverse("rcp:meeting_projection", args=[meeting.pk])).content.decode()
    assert "Images à projeter" in html and "TEP-TDM au FDG" in html
    assert f'src="/imagerie/image-cle/{pinned.pk}/"' in html
