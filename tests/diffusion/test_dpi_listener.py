# ruff: noqa: F811 - the fixtures imported from dpi_fixtures are parameters of the tests
"""The DPI channel against our own MLLP listener: MDM^T02 then T10 when the receiver asks for MDM, and MLLP over
TLS with a client certificate (a wrong authority ends in a retry, never a delivery)."""

import uuid

import pytest

from oncodcc.diffusion import outbox, worker
from oncodcc.diffusion.dpi_message import sending_facility
from oncodcc.diffusion.models import Receiver
from oncodcc.interop.hl7v2.channel import server_context
from oncodcc.interop.hl7v2.mllp import ListenerThread
from oncodcc.interop.hl7v2.models import Hl7Message, Hl7Sender
from oncodcc.patients.models import PatientIdentifier
from tests import factories as f
from tests.interop.hl7v2.pki import Authority

from .dpi_fixtures import _tasks_run_immediately, hospital, listener  # noqa: F401 (fixtures)
from .test_outbox import stored_document

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def known(hospital):
    patient = f.PatientFactory()
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP-77", organisation=hospital)
    return patient


def test_mdm_new_then_replacement(hospital, listener, known):
    Receiver.objects.create(organisation=hospital, host="127.0.0.1", port=listener.port, message_type="mdm")
    set_id = uuid.uuid4()
    outbox.queue(stored_document(known, set_id=set_id), "new")
    outbox.queue(stored_document(known, set_id=set_id, version=2), "replace")
    assert worker.send_due() == {"delivered": 2}
    messages = list(Hl7Message.objects.order_by("pk").values_list("message_type", "state"))
    assert messages == [("MDM^T02", "accepted"), ("MDM^T10", "accepted")]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    ca = Authority(directory, "ca-mllp")
    return {"ca": ca, "server": ca.issue("server", cn="dcc.test", server=True),
            "client": ca.issue("client", cn="oncodcc.test", organisation="DSRC"),
            "rogue": Authority(directory, "ca-rogue")}


def test_tls_with_a_client_certificate(hospital, known, pki):
    client = pki["client"]
    Hl7Sender.objects.create(application="ONCODCC", facility=sending_facility(), organisation=hospital,
                             cert_fingerprint=client.fingerprint)
    context = server_context(str(pki["server"].cert), str(pki["server"].key), str(pki["ca"].cert))
    thread = ListenerThread(ssl_context=context, workers=1)
    thread.start()
    try:
        receiver = Receiver.objects.create(organisation=hospital, host="127.0.0.1", port=thread.port, tls=True,
                                           tls_ca=str(pki["rogue"].cert), tls_cert=str(client.cert),
                                           tls_key=str(client.key))
        [delivery] = outbox.queue(stored_document(known), "new")
        worker.send_due()
        delivery.refresh_from_db()
        assert delivery.state == "error" and delivery.last_error.startswith("Échec TLS")
        assert delivery.next_attempt_at is not None
        Receiver.objects.filter(pk=receiver.pk).update(tls_ca=str(pki["ca"].cert))
        outbox.requeue(delivery)
        assert worker.send_due() == {"delivered": 1}
        assert Hl7Message.objects.get().state == "accepted"
    finally:
        thread.close(grace=10)
