"""The message log and the senders in the Django admin: who sees them, audited views, replay."""

from datetime import date

import pytest

from oncodcc.audit.models import AuditEvent
from oncodcc.interop.hl7v2.models import Hl7Message, Hl7Sender
from oncodcc.interop.hl7v2.processing import handle_message
from oncodcc.patients.models import Patient
from tests import factories as f

from . import messages as m

pytestmark = pytest.mark.django_db
LOG = "/admin/hl7v2/hl7message/"


@pytest.fixture
def sysadmin(db):
    return f.UserFactory(role="sysadmin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_dsrc(db):
    return f.UserFactory(role="admin_dsrc", is_staff=True, organisation=f.DsrcFactory())


def a28(hospital, **kwargs):
    return m.adt("A28", m.pid(ipp="IPP-31", oid=hospital.oid, birth_name="ÉTIENNE", given="Maëlle",
                              birth_date=date(1990, 2, 3), sex="F"), **kwargs)


def test_message_of_an_unknown_sender_is_not_replayable_its_resend_is_accepted(client, sysadmin, hospital):
    """A hospital sends before being registered: AR, and the log keeps its header only (never the whole frame of
    an unknown sender). Once registered, replaying that row is refused with a clear reason; the hospital's resend
    is accepted."""
    payload = a28(hospital, control="EARLY-1")
    assert m.ack_code(handle_message(payload)) == "AR"
    original = Hl7Message.objects.get()
    assert (original.state, original.control_id, original.size) == ("rejected", "EARLY-1", len(payload))
    assert b"PID" not in bytes(original.raw)
    Hl7Sender.objects.create(application=m.APP, facility=m.FACILITY, organisation=hospital)
    client.force_login(sysadmin)

    response = client.post(LOG, {"action": "replay", "_selected_action": [original.pk]}, follow=True)

    assert response.status_code == 200
    assert "non rejouable" in response.content.decode()
    assert Hl7Message.objects.count() == 1 and not Patient.objects.exists()
    assert not AuditEvent.objects.filter(action="hl7.replay").exists()
    assert m.ack_code(handle_message(payload)) == "AA"
    assert Patient.objects.get().birth_name == "ÉTIENNE"


def test_replay_of_a_logged_message_is_audited(client, sysadmin, sender, hospital):
    handle_message(a28(hospital, control="AUD-1"))
    original = Hl7Message.objects.get()
    client.force_login(sysadmin)

    response = client.post(LOG, {"action": "replay", "_selected_action": [original.pk]}, follow=True)

    assert "rejoué" in response.content.decode()
    replayed = Hl7Message.objects.exclude(pk=original.pk).get()
    assert (replayed.replay_of, replayed.state, replayed.ack_code) == (original, "accepted", "AA")
    assert bytes(replayed.raw) == bytes(original.raw)
    event = AuditEvent.objects.get(action="hl7.replay")
    assert (event.actor_id, event.patient_id) == (sysadmin.pk, Patient.objects.get().pk)
    assert event.details["original"] == original.pk


def test_replay_bypasses_dedupe(client, sysadmin, sender, hospital):
    handle_message(a28(hospital, control="R-1"))
    original = Hl7Message.objects.get()
    client.force_login(sysadmin)

    client.post(LOG, {"action": "replay", "_selected_action": [original.pk]})
    client.post(LOG, {"action": "replay", "_selected_action": [original.pk]})

    assert list(Hl7Message.objects.order_by("pk").values_list("state", flat=True)) == [
        "accepted", "accepted", "accepted"]
    # A resend by the hospital is still a duplicate of the original.
    assert m.ack_code(handle_message(a28(hospital, control="R-1"))) == "AA"
    assert Hl7Message.objects.order_by("-pk").first().state == "duplicate"


def test_detail_shows_the_raw_message_and_audits_the_patient_access(client, admin_dsrc, sender, hospital):
    handle_message(a28(hospital))
    message = Hl7Message.objects.get()
    client.force_login(admin_dsrc)

    page = client.get(f"{LOG}{message.pk}/change/").content.decode()

    assert "ÉTIENNE^Maëlle" in page and "MSA|AA|" in page
    event = AuditEvent.objects.get(action="patient.view")
    assert (event.actor_id, event.patient_id, event.details["hl7_message"]) == (
        admin_dsrc.pk, message.patient_id, message.pk)


def test_log_is_read_only_and_searchable(client, sysadmin, sender, hospital):
    handle_message(a28(hospital, control="FIND-ME"))
    handle_message(a28(hospital, control="OTHER"))
    message = Hl7Message.objects.get(control_id="FIND-ME")
    client.force_login(sysadmin)

    listing = client.get(LOG, {"q": "FIND-ME"}).content.decode()
    assert "FIND-ME" in listing and "OTHER" not in listing
    assert client.get(LOG, {"state__exact": "accepted", "message_type": "ADT^A28"}).status_code == 200
    assert client.get(f"{LOG}add/").status_code == 403
    assert client.post(f"{LOG}{message.pk}/delete/").status_code == 403
    client.post(f"{LOG}{message.pk}/change/", {"control_id": "CHANGED"})
    message.refresh_from_db()
    assert message.control_id == "FIND-ME"


@pytest.mark.parametrize("role", ["admin_3c", "dpo", "doctor", "secretary"])
def test_other_roles_do_not_see_the_log(client, sender, hospital, role):
    handle_message(a28(hospital))
    user = f.UserFactory(role=role, is_staff=True)
    client.force_login(user)

    assert client.get(LOG).status_code in {302, 403}
    assert client.get(f"{LOG}{Hl7Message.objects.get().pk}/change/").status_code in {302, 403}
    assert client.get("/admin/hl7v2/hl7sender/").status_code in {302, 403}


def test_sender_organisation_must_have_an_oid(client, admin_dsrc):
    without_oid = f.OrganisationFactory(oid="")
    with_oid = f.OrganisationFactory()
    client.force_login(admin_dsrc)

    refused = client.post("/admin/hl7v2/hl7sender/add/", {"application": "DPI", "facility": "CH",
                                                           "organisation": without_oid.pk, "active": "on"})
    assert refused.status_code == 200 and not Hl7Sender.objects.exists()

    accepted = client.post("/admin/hl7v2/hl7sender/add/", {"application": "DPI", "facility": "CH",
                                                            "organisation": with_oid.pk, "active": "on"})
    assert accepted.status_code == 302
    sender = Hl7Sender.objects.get()
    assert sender.organisation == with_oid
    # Who may send identities to the DCC is evidence: registrations and changes are in the audit chain.
    event = AuditEvent.objects.get(action="hl7.sender_register", object_id=str(sender.pk))
    assert event.actor_id == admin_dsrc.pk and event.details["organisation"] == with_oid.pk
    client.post(f"/admin/hl7v2/hl7sender/{sender.pk}/change/", {"application": "DPI", "facility": "CH",
                                                                 "organisation": with_oid.pk})
    assert AuditEvent.objects.get(action="hl7.sender_update").details["active"] is False


def test_sender_model_validation_names_the_oid():
    from django.core.exceptions import ValidationError

    sender = Hl7Sender(application="A", facility="B", organisation=f.OrganisationFactory(oid=""))
    with pytest.raises(ValidationError, match="OID"):
        sender.full_clean()


def test_sender_form_sets_and_checks_the_authentication(client, admin_dsrc):
    hospital = f.OrganisationFactory()
    client.force_login(admin_dsrc)
    base = {"application": "DPI", "facility": "CH", "organisation": hospital.pk, "active": "on"}

    page = client.get("/admin/hl7v2/hl7sender/add/").content.decode()
    assert all(name in page for name in ("cert_fingerprint", "cert_subject", "allowed_networks"))
    refused = client.post("/admin/hl7v2/hl7sender/add/", {**base, "allowed_networks": "10.0.0.0/40"})
    assert refused.status_code == 200 and "Réseau invalide" in refused.content.decode()
    assert not Hl7Sender.objects.exists()

    accepted = client.post("/admin/hl7v2/hl7sender/add/", {
        **base, "cert_fingerprint": ":".join(["0F"] * 32), "cert_subject": "CN=dpi.ch.fr,O=CH",
        "allowed_networks": "10.2.0.0/16 192.0.2.7"})
    assert accepted.status_code == 302
    sender = Hl7Sender.objects.get()
    assert (sender.cert_fingerprint, sender.allowed_networks) == ("0f" * 32, "10.2.0.0/16\n192.0.2.7/32")
    event = AuditEvent.objects.get(action="hl7.sender_register")
    assert "cert_fingerprint" in event.details["fields"]
