"""Fixtures of the DPI diffusion tests (imported by the test modules that use them; the conftest of this folder
belongs to the channel tests): a hospital that knows the patient (an IPP under its OID), its DPI receiver
served by the repository's own MLLP listener (with OncoDCC registered as a sender, so the listener files what it
receives: the proof that our outbound message is valid for our inbound side), and a validated fiche."""

import pytest
from django.db import connection

from oncodcc.diffusion.dpi_message import sending_facility
from oncodcc.diffusion.models import Receiver
from oncodcc.interop.hl7v2.mllp import ListenerThread
from oncodcc.interop.hl7v2.models import Hl7Sender
from oncodcc.patients.models import PatientIdentifier
from oncodcc.rcp.services import fiches
from tests import factories as f
from tests import samples


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.DCC_DPI_TIMEOUT_SECONDS = 10


@pytest.fixture
def hospital(db):
    return samples.hospital(name="Centre hospitalier de Diffusion", short_name="CH-DIFF", finess="330000001")


@pytest.fixture
def known_patient(patient, hospital):
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP-4242", organisation=hospital)
    return patient


@pytest.fixture
def listener(hospital):
    """Our own MLLP listener, with OncoDCC registered as a sender of the hospital's organisation."""
    Hl7Sender.objects.create(application="ONCODCC", facility=sending_facility(), organisation=hospital)
    workers = 1 if connection.vendor == "sqlite" and connection.is_in_memory_db() else 4
    thread = ListenerThread(workers=workers)
    thread.start()
    yield thread
    thread.close(grace=10)


@pytest.fixture
def receiver(hospital, listener):
    return Receiver.objects.create(organisation=hospital, host="127.0.0.1", port=listener.port)


def validate(fiche, actor):
    fiches.validate(actor=actor, fiche=fiche, expected_version=fiche.lock_version)
    fiche.refresh_from_db()
    return fiche


@pytest.fixture
def draft(held_meeting, registration, coordinator):
    return f.complete_fiche(registration, created_by=coordinator)
