"""The Diffusion panel's *Renvoyer* (board staff and 3C administrators only, audited, nothing written on refusal),
the 3C error dashboard (its own boards, no clinical content), the patient's objection to the DMP (audited), the
commands, and the demo receiver."""

import io
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from oncodcc.accounts.models import Role
from oncodcc.audit.models import AuditEvent
from oncodcc.core import policy
from oncodcc.diffusion import demo_receiver, outbox, worker
from oncodcc.diffusion.models import Delivery, Receiver
from oncodcc.diffusion.policy import RESEND
from oncodcc.interop.hl7v2 import ack
from oncodcc.interop.hl7v2.parsing import read_header
from oncodcc.patients.models import PatientIdentifier
from tests import factories as f
from tests import samples

from .scripted import free_port
from .test_outbox import stored_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(registration, coordinator, board):
    """A fiche's delivery to a DPI that is down, now in error."""
    hospital = samples.hospital(name="CH Nord", finess="590000001")
    PatientIdentifier.objects.create(patient=registration.patient, system=hospital.oid, value="IPP-9",
                                     organisation=hospital)
    Receiver.objects.create(organisation=hospital, host="127.0.0.1", port=free_port())
    fiche = f.complete_fiche(registration, created_by=coordinator)
    [delivery] = outbox.queue(stored_document(registration.patient, fiche=fiche), "new")
    worker.send_due()
    delivery.refresh_from_db()
    assert delivery.state == "error"
    return delivery


def test_resend_is_for_the_board_staff_and_audited(client, failed, secretary, member_doctor, board):
    client.force_login(member_doctor)
    assert client.post(f"/diffusion/envois/{failed.pk}/renvoyer/").status_code == 403
    failed.refresh_from_db()
    assert failed.state == "error" and not AuditEvent.objects.filter(action="diffusion.resend").exists()
    panel = client.get(f"/diffusion/documents/{failed.document_id}/").content.decode()
    assert "erreur — nouvel essai à" in panel and "Renvoyer" not in panel
    client.force_login(secretary)
    assert "Renvoyer" in client.get(f"/diffusion/documents/{failed.document_id}/").content.decode()
    response = client.post(f"/diffusion/envois/{failed.pk}/renvoyer/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("pending", 0)  # back in the queue (the send runs after commit)
    assert AuditEvent.objects.filter(action="diffusion.resend", patient_id=failed.document.patient_id).count() == 1


@pytest.mark.parametrize(("role", "relation", "allowed"), [
    (Role.SECRETARY, "secretary", True), (Role.DOCTOR, "coordinator", True), (Role.ADMIN_3C, "3c", True),
    (Role.ADMIN_DSRC, "dsrc", True), (Role.DOCTOR, "member", False), (Role.ADMIN_3C, "other_3c", False),
    (Role.DPO, "3c", False),
])
def test_resend_matrix(failed, board, role, relation, allowed):
    user = f.DoctorFactory(role=role)
    if relation == "secretary":
        board.secretaries.add(user)
    elif relation in ("coordinator", "member"):
        f.add_member(board, user.practitioner, coordinator=relation == "coordinator")
    elif relation == "3c":
        user.organisation = board.managing_3c
    elif relation == "dsrc":
        user.organisation = board.managing_3c.parent
    elif relation == "other_3c":
        user.organisation = f.CccFactory()
    user.save()
    assert policy.has_permission(user, RESEND, failed) is allowed


def test_error_dashboard_lists_its_own_boards_without_clinical_content(client, failed, board):
    admin = f.UserFactory(role=Role.ADMIN_3C, organisation=board.managing_3c)
    client.force_login(admin)
    page = client.get("/diffusion/erreurs/").content.decode()
    assert "CH Nord" in page and "refuse la connexion" in page and "Fiche RCP v1" in page
    assert failed.document.patient.birth_name not in page
    client.force_login(f.UserFactory(role=Role.ADMIN_3C, organisation=f.CccFactory()))
    assert "CH Nord" not in client.get("/diffusion/erreurs/").content.decode()
    client.force_login(f.DoctorFactory())
    assert client.get("/diffusion/erreurs/").status_code == 403


def test_dmp_opposition_is_audited_and_for_those_who_edit_the_record(client, patient, member_doctor, outsider):
    client.force_login(outsider)
    assert client.post(f"/diffusion/patients/{patient.pk}/opposition-dmp/", {"opposition": "1"}).status_code == 403
    patient.refresh_from_db()
    assert not patient.dmp_opposition and not AuditEvent.objects.filter(action="patient.dmp_opposition").exists()
    client.force_login(member_doctor)
    assert "Enregistrer l'opposition du patient" in client.get(f"/patients/{patient.pk}/").content.decode()
    client.post(f"/diffusion/patients/{patient.pk}/opposition-dmp/", {"opposition": "1"})
    patient.refresh_from_db()
    assert patient.dmp_opposition
    event = AuditEvent.objects.get(action="patient.dmp_opposition")
    assert event.patient_id == patient.pk and event.details == {"opposition": True}


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_commands(failed, tmp_path):
    hospital = failed.receiver.organisation
    assert "mis à jour" in run("hl7", "register-receiver", "--finess", hospital.finess, "--host", "dpi.local",
                               "--port", "2600", "--message", "mdm")
    receiver = Receiver.objects.get(organisation=hospital)
    assert (receiver.host, receiver.port, receiver.message_type) == ("dpi.local", 2600, "mdm")
    assert AuditEvent.objects.filter(action="hl7.receiver_register").exists()
    with pytest.raises(CommandError, match="fichier introuvable"):
        run("hl7", "register-receiver", "--finess", hospital.finess, "--host", "h", "--port", "1", "--tls",
            "--ca", str(tmp_path / "absent.pem"))
    listing = run("outbox", "list", "--state", "error")
    assert f"{failed.pk}\tFiche RCP v1" in listing and "nouvel essai" in listing
    Delivery.objects.filter(pk=failed.pk).update(state="dead")
    assert "1 envoi(s) remis en file" in run("outbox", "retry", "--all-errors")
    failed.refresh_from_db()
    assert failed.state in ("pending", "error") and failed.attempts <= 1
    assert "DPI (HL7 v2)\tCH Nord" in run("outbox", "stats")
    out = run("documents", "send", "--document", str(failed.document_id), "--to", hospital.finess)
    assert "0 envoi(s) mis en file, 1 remis en file" in out
    with pytest.raises(CommandError):
        run("documents", "send", "--to", "000000000", "--since", "2026-01-01")


def test_documents_send_queues_a_hospitals_past_documents(patient):
    hospital = samples.hospital(finess="640000001")
    documents = [stored_document(patient, set_id=uuid.uuid4()) for _ in range(2)]
    Receiver.objects.create(organisation=hospital, host="127.0.0.1", port=free_port())
    assert "0 document(s)" in run("documents", "send", "--to", hospital.finess, "--since", "2020-01-01")
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP-7", organisation=hospital)
    assert "2 envoi(s) mis en file" in run("documents", "send", "--to", hospital.finess, "--since", "2020-01-01")
    assert set(Delivery.objects.values_list("document_id", flat=True)) == {d.pk for d in documents}


def test_demo_receiver_stores_and_answers_aa(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    payload = b"MSH|^~\\&|ONCODCC|DSRC|DPI|750000001|20260101||ORU^R01^ORU_R01|C1|P|2.5||||||UNICODE UTF-8\rPID|1\r"
    answer = demo_receiver.handle(payload)
    assert b"MSA|AA|C1" in answer and read_header(answer).sending_application == ack.APPLICATION
    [stored] = demo_receiver.received("750000001")
    assert stored.read_bytes() == payload
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="mode démonstration"):
        run("demo_receiver")


def test_the_delivery_log_is_read_only_and_opening_an_entry_is_in_the_patients_history(client, failed):
    admin_dsrc = f.UserFactory(role=Role.ADMIN_DSRC, is_staff=True)
    client.force_login(admin_dsrc)
    url = f"/admin/diffusion/delivery/{failed.pk}/change/"
    assert client.get(url).status_code == 200
    event = AuditEvent.objects.get(action="diffusion.payload.view", actor_id=admin_dsrc.pk)
    assert (event.patient_id, event.details["delivery"]) == (failed.document.patient_id, failed.pk)
    client.post(url, {"state": "delivered"})
    failed.refresh_from_db()
    assert failed.state != "delivered"
