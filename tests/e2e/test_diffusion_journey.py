"""Diffusion in the browser: the coordinator validates a fiche in meeting mode; the worker renders it and delivers
it to the hospital's DPI (an MLLP receiver), to the requesting doctor's MSSanté mailbox (the SMTP relay double) and
to the DMP (the XDS.b double); the fiche page's Diffusion panel shows each recipient 'délivré'."""

import re
from datetime import date, timedelta

from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from oncodcc.diffusion import demo_receiver
from oncodcc.diffusion.doubles.smtp_relay import SmtpRelay
from oncodcc.diffusion.doubles.xds_repository import XdsRepository
from oncodcc.diffusion.models import Delivery, Receiver
from oncodcc.interop.hl7v2.mllp import ListenerThread
from oncodcc.patients.models import OID_INS_NIR_TEST, PatientIdentifier
from oncodcc.rcp.models import Fiche
from tests import factories as f
from tests import samples


def test_a_fiche_validated_in_the_browser_reaches_dpi_mailbox_and_dmp(page, live_server, login, transactional_db,
                                                                      settings, tmp_path):
    settings.VAR_DIR = tmp_path
    hospital = samples.hospital(name="Centre hospitalier de Diffusion", short_name="CH-DIFF", finess="330000001")
    board = f.BoardFactory(name="RCP Sein Diffusion")
    board.hospitals.add(hospital)
    coordinator = f.DoctorFactory(username="dr.diffusion", role="coordinator", practitioner__specialty=f.ONCOLOGY,
                                  practitioner__email="dr.diffusion@ch-diff.test.mssante.invalid")
    coordinator.practitioner.organisations.add(hospital)
    f.add_member(board, coordinator.practitioner, coordinator=True)
    radiotherapist = f.add_member(board, specialty=f.RADIOTHERAPY)
    pathologist = f.add_member(board, specialty=f.PATHOLOGY)
    birth = date(1968, 4, 21)
    patient = f.PatientFactory(birth_name="Diffusion", birth_date=birth, sex="F", identity_status="QUAL",
                               ins_matricule=samples.nir(sex="F", birth_date=birth), ins_oid=OID_INS_NIR_TEST)
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP-E2E", organisation=hospital)
    # The meeting has just started (a fiche is never validated before its meeting's start).
    meeting = f.MeetingFactory(board=board, starts_at=timezone.now() - timedelta(minutes=5), location=hospital)
    f.RegistrationFactory(meeting=meeting, patient=patient, requesting_doctor=coordinator.practitioner,
                          presenting_doctor=coordinator.practitioner, created_by=coordinator,
                          question="Quelle prise en charge adjuvante ?")
    dpi = ListenerThread(handler=demo_receiver.handle, recover=False)
    dpi.start()
    Receiver.objects.create(organisation=hospital, host="127.0.0.1", port=dpi.port)
    relay = SmtpRelay().start()
    dmp = XdsRepository().start()
    settings.DCC_MSSANTE_SMTP_HOST, settings.DCC_MSSANTE_SMTP_PORT = "127.0.0.1", relay.port
    settings.DCC_MSSANTE_SMTP_TLS, settings.DCC_MSSANTE_FROM = "none", "rcp@3c.test.mssante.invalid"
    settings.DCC_DMP_URL = dmp.url
    try:
        login(page, "dr.diffusion")
        page.goto(f"{live_server.url}/rcp/seances/{meeting.pk}/mode-rcp/")
        page.get_by_role("button", name="Ouvrir la séance").click()
        page.locator(".attendance-bar > summary").click()  # the attendance bar opens on demand
        panel = page.locator("#attendance-panel")
        for practitioner in (coordinator.practitioner, radiotherapist, pathologist):
            panel.locator(f"#present-{meeting.pk}-{practitioner.pk}").check()
            expect(page.locator(f"#present-{meeting.pk}-{practitioner.pk}")).to_be_checked()
        # The last presence is saved (htmx swapped the panel) before the fiche is started: SQLite's in-memory
        # database of the live server does not take two writers at once.
        expect(page.locator("#attendance-panel").get_by_text("Quorum atteint")).to_be_visible()
        page.get_by_role("button", name="Commencer la fiche").click()
        page.get_by_role("group", name="Découvert par dépistage").get_by_label("Non").check()
        page.get_by_role("group", name="Phase").get_by_label("Phase initiale", exact=True).check()
        page.get_by_label("Topographie (CIM-10)").fill("C50.4")
        page.get_by_label("Morphologie (CIM-O-3)").fill("8500/3")
        page.get_by_label("Date du diagnostic").fill("2026-10-02")
        page.get_by_label("Type de traitement").select_option("C15313")
        page.get_by_role("group", name="Proposition d'inclusion dans un essai clinique").get_by_label("Non").check()
        page.get_by_role("button", name="Valider et signer").click()
        expect(page.get_by_text(re.compile("validée", re.I)).first).to_be_visible()

        fiche = Fiche.objects.get(patient=patient, status=Fiche.Status.VALIDATED)
        # The worker renders the CDA and PDF, then sends what became due (two passes: render, then send).
        call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", verbosity=0)
        call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", verbosity=0)
        states = dict(Delivery.objects.filter(document__fiche=fiche).values_list("channel", "state"))
        assert states == {"dpi": "delivered", "mssante": "delivered", "dmp": "delivered"}, states

        page.goto(f"{live_server.url}/rcp/fiches/{fiche.pk}/")
        diffusion = page.locator(".diffusion-panel").first
        expect(diffusion.get_by_text("délivré").first).to_be_visible(timeout=10_000)
        for label in ("DPI", "MSSanté", "DMP"):
            expect(diffusion.get_by_text(re.compile(label)).first).to_be_visible()
        assert len(relay.messages) == 1 and len(dmp.registered) == 1
        assert list((tmp_path / "demo-receiver").rglob("*.hl7"))
    finally:
        dpi.close(grace=5)
        relay.stop()
        dmp.stop()
