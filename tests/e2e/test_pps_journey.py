"""The PPS in the browser: created from a validated fiche, validated, handed over at the announcement
consultation; the worker renders its PDF/A and CDA, downloaded from the PPS page."""

import re

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from oncodcc.careplans.models import CarePlan
from oncodcc.rcp.services import fiches
from tests import factories as f


def test_pps_from_fiche_to_hand_over(page, live_server, login, transactional_db):
    board = f.BoardFactory(name="RCP Sein Démo")
    doctor = f.DoctorFactory(username="dr.referent", role="coordinator")
    f.add_member(board, doctor.practitioner, coordinator=True)
    meeting = f.hold(f.MeetingFactory(board=board))
    registration = f.RegistrationFactory(meeting=meeting, requesting_doctor=doctor.practitioner,
                                         presenting_doctor=doctor.practitioner)
    fiche = f.complete_fiche(registration, created_by=doctor)
    fiches.validate(actor=doctor, fiche=fiche, expected_version=fiche.lock_version)

    login(page, "dr.referent")
    page.goto(f"{live_server.url}/rcp/fiches/{fiche.pk}/")
    page.get_by_role("button", name="Créer le PPS").click()
    expect(page.get_by_role("button", name="Valider")).to_be_visible()
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text(re.compile("validé", re.I)).first).to_be_visible()

    plan = CarePlan.objects.get(fiche=fiche)
    assert plan.status == CarePlan.Status.VALIDATED and plan.treatments.count() == 2  # radiotherapy, hormonotherapy
    page.goto(f"{live_server.url}/pps/{plan.pk}/")
    page.get_by_label("Remis au patient le").fill(timezone.localdate().isoformat())
    page.get_by_label("Remis par").select_option(str(doctor.practitioner_id))
    page.get_by_role("button", name="Enregistrer la remise").click()
    plan.refresh_from_db()
    assert plan.handed_over_at == timezone.localdate() and plan.handed_over_by == doctor.practitioner

    call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", verbosity=0)
    page.goto(f"{live_server.url}/pps/{plan.pk}/")
    with page.expect_download() as pdf:
        page.get_by_role("link", name="PDF").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    with page.expect_download() as cda:
        page.get_by_role("link", name="CDA").click()
    assert cda.value.suggested_filename.endswith(".xml")
