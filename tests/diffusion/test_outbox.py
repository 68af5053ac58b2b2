"""The outbox and its send loop against real sockets: retries with exponential backoff and a dead letter after
the maximum attempts, AE/AR refusals kept in error until a manual resend, timeouts, order per (recipient, set),
idempotent creation, a worker killed mid-send, and the recipient rules."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from oncodcc.diffusion import outbox, recipients, worker
from oncodcc.diffusion.models import Delivery, DeliveryAttempt, Receiver
from oncodcc.documents import store
from oncodcc.documents.models import Document, Rendering
from oncodcc.patients.models import IdentityStatus, PatientIdentifier
from tests import factories as f
from tests import samples

from .scripted import ScriptedReceiver, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def scripted():
    started = []

    def start(mode="AA", **kwargs):
        receiver = ScriptedReceiver(mode, **kwargs)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.close()


def stored_document(patient, *, set_id=None, version=1, cda_ready=True, fiche=None) -> Document:
    set_id = set_id or uuid.uuid4()
    cda = samples.cda_report(birth_name=patient.birth_name, given=patient.birth_given_names,
                             birth_date=patient.birth_date, type_code="34794-8", version=version,
                             set_id=str(set_id))
    document = Document.objects.create(kind="frcp", type_code="34794-8", title="Fiche RCP", patient=patient,
                                       set_id=set_id, version_number=version, fiche=fiche)
    if cda_ready:
        sha, _ = store.put(cda, "xml")
        Rendering.objects.create(document=document, format="cda", state="ready", sha256=sha, size=len(cda))
    else:
        Rendering.objects.create(document=document, format="cda")
    return document


@pytest.fixture
def hospital(db):
    return samples.hospital(name="CH Sud", short_name="CHS", finess="340000001")


@pytest.fixture
def patient(hospital):
    patient = f.PatientFactory()
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP-1", organisation=hospital)
    return patient


def dpi_to(hospital, port) -> Receiver:
    return Receiver.objects.create(organisation=hospital, host="127.0.0.1", port=port)


def test_receiver_down_retries_with_exponential_backoff_then_dead(patient, hospital, settings):
    settings.DCC_DIFFUSION_MAX_ATTEMPTS = 3
    settings.DCC_DIFFUSION_RETRY_BASE_SECONDS = 60
    dpi_to(hospital, free_port())
    [delivery] = outbox.queue(stored_document(patient), "new")
    start = timezone.now()
    assert worker.send_due(now=start) == {"error": 1}
    delivery.refresh_from_db()
    assert delivery.state == "error" and delivery.attempts == 1 and "refuse la connexion" in delivery.last_error
    assert timedelta(seconds=55) < delivery.next_attempt_at - start < timedelta(seconds=65)
    assert worker.send_due(now=start) == {}  # not due yet
    worker.send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and timedelta(seconds=115) < delivery.next_attempt_at - timezone.now() < timedelta(
        seconds=125)
    worker.send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.state == "dead" and delivery.next_attempt_at is None
    assert delivery.last_error.startswith("Abandonné après 3 essais")
    assert list(delivery.attempts_log.values_list("outcome", flat=True)) == ["retry"] * 3
    assert all(bytes(a.request).startswith(b"MSH|") for a in delivery.attempts_log.all())


def test_ae_is_an_error_kept_until_a_manual_resend(patient, hospital, scripted):
    receiver = scripted("AE", reason="Patient inconnu du DPI")
    dpi_to(hospital, receiver.port)
    [delivery] = outbox.queue(stored_document(patient), "new")
    worker.send_due()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.next_attempt_at) == ("error", None)
    assert delivery.last_error == "Erreur par le DPI (AE) : Patient inconnu du DPI"
    assert worker.send_due(now=timezone.now() + timedelta(days=1)) == {}  # never retried on its own
    receiver.mode = "AA"
    outbox.requeue(delivery)
    assert worker.send_due() == {"delivered": 1}
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.delivered_at and delivery.attempts == 1
    assert len(receiver.received) == 2 and receiver.received[0].split(b"\r")[1:] == receiver.received[1].split(
        b"\r")[1:]  # same document, same content; only MSH (time, control id) differs


@pytest.mark.parametrize(("mode", "state", "detail"), [
    ("AR207", "error", "Erreur interne du DPI"),  # the receiver's own failure: retried
    ("AR", "error", "Refusé par le DPI (AR) : Type refusé"),
    ("silent", "error", "Pas d'acquittement du DPI en 0.5 s."),
    ("close", "error", "Échec de connexion au DPI"),
])
def test_faults(patient, hospital, scripted, settings, mode, state, detail):
    settings.DCC_DPI_TIMEOUT_SECONDS = 0.5
    dpi_to(hospital, scripted(mode).port)
    [delivery] = outbox.queue(stored_document(patient), "new")
    worker.send_due()
    delivery.refresh_from_db()
    assert delivery.state == state and delivery.last_error.startswith(detail), delivery.last_error
    assert (delivery.next_attempt_at is not None) is (mode != "AR")


def test_a_replacement_never_overtakes_its_original(patient, hospital, scripted):
    receiver = scripted("AE")
    dpi_to(hospital, receiver.port)
    set_id = uuid.uuid4()
    [v1] = outbox.queue(stored_document(patient, set_id=set_id), "new")
    worker.send_due()
    [v2] = outbox.queue(stored_document(patient, set_id=set_id, version=2), "replace")
    assert (v2.sequence, v2.action) == (2, "replace")
    receiver.mode = "AA"
    assert worker.send_due() == {}  # v1 is in error: v2 waits
    outbox.requeue(v1)
    assert worker.send_due() == {"delivered": 2}
    statuses = [next(s for s in p.split(b"\r") if s.startswith(b"OBX|1|ED|")).split(b"|")[11]
                for p in receiver.received[1:]]
    assert statuses == [b"F", b"C"]


def test_creation_is_idempotent_and_a_replacement_to_a_new_recipient_is_new(patient, hospital):
    document = stored_document(patient, version=2)
    dpi_to(hospital, free_port())
    with transaction.atomic():
        [delivery] = outbox.queue(document, "replace")
        assert outbox.queue(document, "replace") == []
    assert delivery.action == "new"  # this DPI never had version 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(document=document, set_id=document.set_id, channel="dpi",
                                recipient_key=delivery.recipient_key, recipient_label="x", action="new", sequence=9)


def test_the_cda_must_be_ready(patient, hospital, scripted):
    dpi_to(hospital, scripted("AA").port)
    document = stored_document(patient, cda_ready=False)
    assert len(outbox.queue(document, "new")) == 1
    assert worker.send_due() == {}
    cda = samples.cda_report(birth_name="X", given="Y", birth_date=patient.birth_date)
    sha, _ = store.put(cda, "xml")
    document.renderings.update(state="ready", sha256=sha, size=len(cda))
    assert worker.send_due() == {"delivered": 1}


def test_a_delivery_left_sending_by_a_killed_worker_is_taken_back(patient, hospital, scripted, settings):
    settings.DCC_DIFFUSION_SENDING_TIMEOUT_SECONDS = 300
    dpi_to(hospital, scripted("AA").port)
    [delivery] = outbox.queue(stored_document(patient), "new")
    Delivery.objects.filter(pk=delivery.pk).update(state="sending", attempts=1,
                                                   claimed_at=timezone.now() - timedelta(minutes=1))
    assert worker.send_due() == {}  # still within its worker's time
    Delivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - timedelta(minutes=10))
    worker.reclaim_stuck()
    delivery.refresh_from_db()
    assert delivery.state == "error" and "interrompu" in delivery.last_error
    assert worker.send_due() == {"delivered": 1}
    assert sorted(DeliveryAttempt.objects.values_list("outcome", flat=True)) == ["delivered", "interrupted"]


def test_recipient_rules(patient, hospital, registration, coordinator):
    fiche = f.complete_fiche(registration, created_by=coordinator)
    document = stored_document(registration.patient, fiche=fiche)
    hospital_patient = registration.patient
    PatientIdentifier.objects.create(patient=hospital_patient, system=hospital.oid, value="IPP-2",
                                     organisation=hospital)
    doctors_hospital = samples.hospital(name="Clinique du demandeur")
    registration.requesting_doctor.organisations.add(doctors_hospital)
    registration.requesting_doctor.email = "dr.demandeur@test.mssante.fr"
    registration.requesting_doctor.save()
    Receiver.objects.create(organisation=hospital, host="127.0.0.1", port=1)
    Receiver.objects.create(organisation=doctors_hospital, host="127.0.0.1", port=2)
    Receiver.objects.create(organisation=samples.hospital(), host="127.0.0.1", port=3)  # does not know the patient
    Receiver.objects.filter(port=2).update(active=False)
    document = Document.objects.get(pk=document.pk)
    labels = [(r.channel, r.label) for r in recipients.recipients_for(document)]
    assert labels == [("dpi", "DPI — CH Sud"), ("mssante", f"{registration.requesting_doctor} (MSSanté)")]
    Receiver.objects.filter(port=2).update(active=True)
    hospital_patient.identity_status, hospital_patient.ins_matricule = IdentityStatus.QUALIFIED, "2680575056123"
    hospital_patient.ins_oid = "1.2.250.1.213.1.4.10"
    hospital_patient.save()
    document = Document.objects.get(pk=document.pk)
    assert [r.channel for r in recipients.recipients_for(document)] == ["dpi", "dpi", "mssante", "dmp"]
    hospital_patient.dmp_opposition = True
    hospital_patient.save()
    document = Document.objects.get(pk=document.pk)
    assert "dmp" not in [r.channel for r in recipients.recipients_for(document)]
