# ruff: noqa: F811 - the fixtures imported from dpi_fixtures are parameters of the tests
"""Validating a fiche delivers it to the hospital's DPI: the delivery is written with the document, the worker
sends an ORU^R01 over MLLP to a real listener (ours, which files the CDA), the ACK AA marks it delivered, and the
fiche page's Diffusion panel shows it. The CDA as sent passes the ANS validation kit."""

import base64

import pytest

from oncodcc.diffusion.models import Delivery, DeliveryAttempt
from oncodcc.documents.models import Document
from oncodcc.interop.hl7v2.models import Hl7Message
from tests.documents.test_cda_frcp import assert_valid

from .conftest import assert_valid_cda
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


def cda_of(request: bytes) -> bytes:
    for segment in request.decode("utf-8").split("\r"):
        if segment.startswith("OBX|1|ED|"):
            return base64.b64decode(segment.split("|")[5].split("^")[4])
    raise AssertionError("no CDA in the message")


def test_a_validated_fiche_reaches_the_dpi(draft, coordinator, known_patient, receiver, client, tmp_path):
    fiche = validate(draft, coordinator)
    document = Document.objects.get(fiche=fiche)
    delivery = Delivery.objects.get(document=document, channel="dpi")
    assert (delivery.state, delivery.action, delivery.attempts, delivery.receiver_id) == (
        "delivered", "new", 1, receiver.pk), delivery.last_error
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    request = bytes(attempt.request)
    segments = request.decode().split("\r")
    assert segments[0].startswith("MSH|^~\\&|ONCODCC|") and "|ORU^R01^ORU_R01|" in segments[0]
    assert segments[0].endswith("|FRA|UNICODE UTF-8")
    pid = next(s for s in segments if s.startswith("PID|"))
    assert f"IPP-4242^^^CH-DIFF&{receiver.organisation.oid}&ISO^PI" in pid
    assert any(s.startswith("PRT||UC||SB^Send by^participation|") for s in segments)
    assert any("DESTDMP^Destinataire DMP^MetaDMPMSS||N" in s for s in segments)
    assert b"MSA|AA|" in bytes(attempt.response)
    # Our own listener filed it under the same patient, as a document received from the hospital's channel.
    message = Hl7Message.objects.get(message_type="ORU^R01")
    assert message.state == "accepted" and message.patient_id == known_patient.pk
    received = Document.objects.get(kind="received", patient=known_patient)
    assert received.type_code == "34794-8"
    # The panel on the fiche page.
    client.force_login(coordinator)
    page = client.get(f"/rcp/fiches/{fiche.pk}/").content.decode()
    assert f"/diffusion/documents/{document.pk}/" in page
    panel = client.get(f"/diffusion/documents/{document.pk}/").content.decode()
    assert "DPI — Centre hospitalier de Diffusion" in panel and "délivré" in panel
    # The CDA as it went out passes the ANS kit.
    path = tmp_path / "sent.xml"
    path.write_bytes(cda_of(request))
    assert_valid(path)


def test_a_correction_is_sent_as_a_replacement_after_the_original(draft, coordinator, known_patient, receiver):
    from oncodcc.rcp.services import fiches

    v1 = validate(draft, coordinator)
    v2 = validate(fiches.correct(actor=coordinator, fiche=v1, reason="Latéralité corrigée"), coordinator)
    deliveries = list(Delivery.objects.filter(channel="dpi").order_by("sequence"))
    assert [(d.document.fiche_id, d.action, d.sequence, d.state) for d in deliveries] == [
        (v1.pk, "new", 1, "delivered"), (v2.pk, "replace", 2, "delivered")]
    request = bytes(deliveries[1].attempts_log.get().request).decode()
    assert "||||||C|" in request
    statuses = dict(Document.objects.filter(kind="received").values_list("version_number", "status"))
    assert sorted(statuses.values()) == ["current", "superseded"]


def test_a_validated_pps_and_then_its_ppac_reach_the_dpi(known_patient, receiver, member_doctor, coordinator, draft,
                                                         client, tmp_path):
    from django.utils import timezone

    from oncodcc.careplans import services as careplans
    from oncodcc.careplans.models import CarePlan

    fiche = validate(draft, coordinator)
    pps = careplans.create_from_fiche(actor=member_doctor, fiche=fiche, referring_doctor=member_doctor.practitioner)
    pps = careplans.validate(actor=member_doctor, plan=pps)
    document = Document.objects.get(care_plan=pps)
    delivery = Delivery.objects.get(document=document, channel="dpi")
    assert delivery.state == "delivered", delivery.last_error
    client.force_login(member_doctor)
    assert f"/diffusion/documents/{document.pk}/" in client.get(f"/pps/{pps.pk}/").content.decode()
    CarePlan.objects.filter(pk=pps.pk).update(all_treatments_stopped=True, treatments_stopped_on=timezone.localdate(),
                                              follow_up_text="Consultation tous les 6 mois.")
    pps.refresh_from_db()
    ppac = careplans.validate(actor=member_doctor, plan=careplans.create_ppac(actor=member_doctor, plan=pps))
    # The PPAC (no national volet) goes out as a level-1 CDA carrying its PDF/A, like any document.
    delivery = Delivery.objects.get(document__care_plan=ppac, channel="dpi")
    assert delivery.state == "delivered", delivery.last_error
    cda = cda_of(bytes(delivery.attempts_log.get().request))
    assert b"<nonXMLBody>" in cda and b'mediaType="application/pdf"' in cda
    assert b"Programme personnalis\xc3\xa9 de l'apr\xc3\xa8s-cancer" in cda
    assert_valid_cda(cda, None, tmp_path)
