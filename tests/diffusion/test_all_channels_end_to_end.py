# ruff: noqa: F811 - the fixtures imported from dpi_fixtures are parameters of the tests
"""Validating a fiche delivers it through the outbox on the three channels at once: the hospital's DPI (our own
MLLP listener), the requesting doctor's MSSanté mailbox (through the SMTP relay double) and the DMP (the XDS.b
repository double) — each delivery 'délivré', the mail's XDM archive and the DMP's document holding the CDA sent."""

import io
import zipfile

import pytest

from oncodcc.diffusion.doubles.smtp_relay import SmtpRelay
from oncodcc.diffusion.doubles.xds_repository import XdsRepository
from oncodcc.diffusion.models import Delivery
from oncodcc.documents.models import Document
from oncodcc.patients.models import OID_INS_NIR_TEST, IdentityStatus
from tests import samples

from .dpi_fixtures import (  # noqa: F401 (fixtures)
    _tasks_run_immediately,
    draft,
    hospital,
    known_patient,
    listener,
    receiver,
    validate,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def relay():
    with SmtpRelay() as relay:
        yield relay


@pytest.fixture
def dmp():
    repository = XdsRepository().start()
    yield repository
    repository.stop()


def test_a_validated_fiche_reaches_the_dpi_the_mailbox_and_the_dmp(draft, coordinator, known_patient, receiver,
                                                                   relay, dmp, settings):
    settings.DCC_MSSANTE_SMTP_HOST, settings.DCC_MSSANTE_SMTP_PORT = "127.0.0.1", relay.port
    settings.DCC_MSSANTE_SMTP_TLS, settings.DCC_MSSANTE_FROM = "none", "rcp@3c.test.mssante.invalid"
    settings.DCC_DMP_URL = dmp.url
    patient = known_patient
    patient.ins_matricule = samples.nir(sex=patient.sex, birth_date=patient.birth_date)
    patient.ins_oid, patient.identity_status = OID_INS_NIR_TEST, IdentityStatus.QUALIFIED
    patient.save()
    doctor = draft.registration.requesting_doctor
    doctor.email = "dr.demandeur@hopital.test.mssante.invalid"
    doctor.save()

    fiche = validate(draft, coordinator)

    document = Document.objects.get(fiche=fiche)
    deliveries = {d.channel: d for d in Delivery.objects.filter(document=document)}
    assert set(deliveries) == {"dpi", "mssante", "dmp"}
    for delivery in deliveries.values():
        assert delivery.state == "delivered", (delivery.channel, delivery.last_error)
    # The mailbox got the XDM archive with the CDA; the DMP double registered the document under the INS.
    mail = relay.messages[0]
    assert doctor.email in mail.rcpt_tos
    archive = next(part for part in mail.message().iter_attachments() if part.get_filename() == "IHE_XDM.ZIP")
    with zipfile.ZipFile(io.BytesIO(archive.get_content())) as xdm:
        assert {"INDEX.HTM", "README.TXT", "IHE_XDM/SUBSET01/METADATA.XML"} <= set(xdm.namelist())
    assert len(dmp.registered) == 1
    assert patient.ins_matricule in str(next(iter(dmp.registered.values()))["patient"])
