"""Imaging in the browser, against a real PACS (Orthanc): meeting mode loads the patient's studies after the page,
the secretary pins one ("à projeter"), it moves first with its key image, and opening it goes through the audited
redirect to the viewer, in a new tab."""

import re

from django.urls import reverse
from playwright.sync_api import expect

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.imaging.models import ImageSource, PinnedStudy
from oncodcc.patients.models import PatientIdentifier
from tests import factories as f
from tests.imaging.conftest import IPP, ISSUER, PACS_PASSWORD, PACS_USER, pacs  # noqa: F401  (the Orthanc fixture)


def test_meeting_mode_shows_the_studies_and_the_pinned_ones_first(page, live_server, login, transactional_db,
                                                                    pacs):  # noqa: F811
    board = f.BoardFactory()
    secretary = f.UserFactory(username="secretariat.imagerie", role="secretary", organisation=board.managing_3c)
    board.secretaries.add(secretary)
    hospital = f.OrganisationFactory(name="Centre hospitalier de Démo", oid=ISSUER)
    registration = f.RegistrationFactory(meeting=f.MeetingFactory(board=board), position=1)
    PatientIdentifier.objects.create(patient=registration.patient, system=ISSUER, value=IPP, organisation=hospital)
    # The live server stands for the viewer: the new tab lands on a page that answers.
    ImageSource.objects.create(
        organisation=hospital, name="PACS du CH de Démo", dicomweb_url=pacs.dicomweb_url, auth="basic",
        username=PACS_USER, secret=PACS_PASSWORD, viewer_url_template=f"{live_server.url}/health?uid={{study_uid}}")

    login(page, "secretariat.imagerie")
    page.goto(live_server.url + reverse("rcp:meeting_mode_case", args=[registration.meeting_id, 1]))
    panel = page.locator(".imaging-panel")
    expect(panel.get_by_text("Aucun examen choisi pour la séance.")).to_be_visible()
    ct = panel.locator(".imaging-study", has_text="TDM thoraco-abdomino-pelvienne")
    expect(ct).to_contain_text("2 séries")
    expect(ct).to_contain_text("12/10/2026")
    expect(panel.locator(".imaging-study", has_text="IRM mammaire bilatérale")).to_be_visible()

    ct.get_by_role("button", name="à projeter").click()
    pinned = page.locator(".imaging-pinned .imaging-study")
    expect(pinned).to_have_count(1)
    expect(pinned).to_contain_text("TDM thoraco-abdomino-pelvienne")
    image = pinned.get_by_role("img", name=re.compile("Image clé : TDM thoraco-abdomino-pelvienne"))
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert PinnedStudy.objects.get().registration == registration

    with page.expect_popup() as opened:
        pinned.get_by_role("link", name="ouvrir dans le visualiseur").click()
    viewer = opened.value
    viewer.wait_for_load_state()
    assert viewer.url == f"{live_server.url}/health?uid={pacs.studies['ct']}"
    event = AuditEvent.objects.filter(action=Action.IMAGING_STUDY_VIEW, details__key_image__isnull=True).get()
    assert event.patient_id == registration.patient_id and event.actor_id == secretary.pk
