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


def test_a_withdrawn_fiche_is_cancelled_on_the_three_channels(draft, coordinator, known_patient, receiver, relay, dmp,
                                                              settings, client):
    """*Retirer le document* on the fiche page: the DPI gets the same CDA with OBX-11 D, the mailbox a notice
    without attachment, the DMP unpublishes the entry (ITI-57); each delivery is 'délivré', in order after the
    original."""
    from oncodcc.audit.models import AuditEvent
    from oncodcc.diffusion.ebrim import DMP_DELETED

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

    client.force_login(coordinator)
    page = client.get(f"/rcp/fiches/{fiche.pk}/").content.decode()
    assert f"/documents/{document.pk}/retirer/" in page
    answer = client.post(f"/documents/{document.pk}/retirer/", {"reason": "  "})
    assert answer.status_code == 400 and "Indiquez le motif du retrait" in answer.content.decode()
    answer = client.post(f"/documents/{document.pk}/retirer/", {"reason": "Fiche validée sur le mauvais patient"})
    assert answer.status_code == 302 and answer["Location"] == f"/rcp/fiches/{fiche.pk}/"

    document.refresh_from_db()
    assert (document.status, document.withdrawn_by, document.withdrawal_reason) == (
        "deleted", coordinator, "Fiche validée sur le mauvais patient")
    event = AuditEvent.objects.get(action="document.withdraw")
    assert event.patient_id == patient.pk and event.reason == "Fiche validée sur le mauvais patient"
    deletions = {d.channel: d for d in Delivery.objects.filter(document=document, action="delete")}
    assert set(deletions) == {"dpi", "mssante", "dmp"}
    for delivery in deletions.values():
        assert delivery.state == "delivered", (delivery.channel, delivery.last_error)
        assert delivery.sequence == 2
    hl7 = bytes(deletions["dpi"].attempts_log.get().request).decode()
    assert any(s.startswith("OBX|1|ED|") and s.split("|")[11] == "D" for s in hl7.split("\r"))
    notice = relay.messages[-1].message()
    assert "retiré" in notice["Subject"] and not list(notice.iter_attachments())
    assert next(iter(dmp.registered.values()))["status"] == DMP_DELETED
    # The page says so; the downloads are gone; a second withdrawal is refused.
    page = client.get(f"/rcp/fiches/{fiche.pk}/").content.decode()
    assert "Document retiré" in page and "Fiche validée sur le mauvais patient" in page
    assert f"/documents/{document.pk}/retirer/" not in page
    assert client.get(f"/documents/{document.pk}/pdf/").status_code == 404
    again = client.post(f"/documents/{document.pk}/retirer/", {"reason": "Encore une fois"})
    assert again.status_code == 400 and "version en vigueur" in again.content.decode()
