"""MLLP over TLS with client certificates, over real sockets and real TLS (a throw-away CA made with
`cryptography`): a message naming a sender (MSH-3/MSH-4) is processed only when the connection's certificate and
address are that sender's; otherwise AR (ERR 207, French reason), nothing processed, the refusal logged with the
header and the size only."""

import logging
import socket
import ssl
import time

import pytest

from oncodcc.interop.hl7v2.channel import server_context
from oncodcc.interop.hl7v2.framing import Deframer, Frame, frame
from oncodcc.interop.hl7v2.mllp import ListenerThread
from oncodcc.interop.hl7v2.models import Hl7Message, Hl7Sender
from oncodcc.patients.models import Patient, PatientIdentifier

from . import messages as m
from .conftest import workers_for_test_database
from .pki import Authority
from .test_mllp import TIMEOUT, a28, ack_fields

pytestmark = pytest.mark.django_db(transaction=True)


class Pki:
    def __init__(self, directory):
        self.ca = Authority(directory, "ca-mllp")
        self.server = self.ca.issue("server", cn="dcc.test", server=True)
        self.dpi = self.ca.issue("dpi", cn="dpi.chu-test.fr", organisation="CHU Test")
        self.labo = self.ca.issue("labo", cn="labo.chu-test.fr", organisation="CHU Test")
        self.rogue_ca = Authority(directory, "ca-rogue")
        self.rogue = self.rogue_ca.issue("rogue", cn="dpi.chu-test.fr", organisation="CHU Test")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def tls_listener(pki, sender):
    context = server_context(str(pki.server.cert), str(pki.server.key), str(pki.ca.cert))
    thread = ListenerThread(ssl_context=context, workers=workers_for_test_database())
    thread.start()
    yield thread
    thread.close(grace=10)


class TlsClient:
    def __init__(self, port: int, pki: Pki, issued=None):
        context = ssl.create_default_context(cafile=str(pki.ca.cert))
        if issued is not None:
            context.load_cert_chain(str(issued.cert), str(issued.key))
        raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
        self.deframer = Deframer(10_000_000)
        self.pending: list[bytes] = []

    def send(self, payload: bytes) -> bytes:
        self.sock.sendall(frame(payload))
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connexion fermée par le serveur")
            self.pending += [e.payload for e in self.deframer.feed(data) if isinstance(e, Frame)]
        return self.pending.pop(0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()


def configure(sender: Hl7Sender, **fields) -> Hl7Sender:
    for name, value in fields.items():
        setattr(sender, name, value)
    sender.full_clean()
    sender.save()
    return sender


def err_code(ack: bytes) -> str:
    return str(m.parse_ack(ack).segment("ERR")[3][0][0])


def assert_refused_and_logged_header_only(payload: bytes, ack: bytes, control: str, reason: str) -> None:
    assert ack_fields(ack) == ("AR", control)
    assert err_code(ack) == "207" and reason in m.ack_text(ack)
    assert not Patient.objects.exists()
    row = Hl7Message.objects.get(control_id=control)
    assert (row.state, row.ack_code, row.sender_id, row.size) == ("rejected", "AR", None, len(payload))
    assert bytes(row.raw) == payload.split(b"\r", 1)[0]  # the MSH segment, never the message
    assert reason in row.error


def wait_for_log(caplog, text: str) -> list[logging.LogRecord]:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        records = [r for r in caplog.records if text in r.getMessage()]
        if records:
            return records
        time.sleep(0.05)
    raise AssertionError(f"pas de ligne « {text} » dans le journal")


def test_right_certificate_right_sender_is_accepted(tls_listener, pki, sender, hospital):
    configure(sender, cert_fingerprint=pki.dpi.openssl_fingerprint(), allowed_networks="127.0.0.0/8")
    with TlsClient(tls_listener.port, pki, pki.dpi) as client:
        assert ack_fields(client.send(a28(hospital, "IPP-TLS1", control="TLS-1"))) == ("AA", "TLS-1")
    assert PatientIdentifier.objects.filter(value="IPP-TLS1").exists()
    row = Hl7Message.objects.get()
    assert (row.state, row.sender_id) == ("accepted", sender.pk)


def test_certificate_subject_under_the_ca_is_accepted_and_a_different_subject_refused(tls_listener, pki, sender,
                                                                                      hospital):
    configure(sender, cert_subject="CN=dpi.chu-test.fr,O=CHU Test")
    with TlsClient(tls_listener.port, pki, pki.dpi) as client:
        assert ack_fields(client.send(a28(hospital, "IPP-SUBJ", control="SUBJ-1"))) == ("AA", "SUBJ-1")
    payload = a28(hospital, "IPP-SUBJ2", control="SUBJ-2")
    with TlsClient(tls_listener.port, pki, pki.labo) as client:  # same CA and O, another CN
        ack = client.send(payload)
    assert ack_fields(ack) == ("AR", "SUBJ-2")
    assert "sujet du certificat" in m.ack_text(ack)
    assert not PatientIdentifier.objects.filter(value="IPP-SUBJ2").exists()


def test_right_certificate_for_another_sender_is_refused(tls_listener, pki, sender, hospital):
    configure(sender, cert_fingerprint=pki.dpi.fingerprint)
    Hl7Sender.objects.create(application="LABO", facility=m.FACILITY, organisation=hospital,
                             cert_fingerprint=pki.labo.fingerprint)
    payload = a28(hospital, "IPP-IMPOSTOR", control="IMP-1")  # names DPI/CHU-TEST
    with TlsClient(tls_listener.port, pki, pki.labo) as client:
        ack = client.send(payload)
    assert_refused_and_logged_header_only(payload, ack, "IMP-1", "le certificat client ne correspond pas")


def test_right_certificate_from_a_network_not_allowed_is_refused(tls_listener, pki, sender, hospital):
    configure(sender, cert_fingerprint=pki.dpi.fingerprint, allowed_networks="10.0.0.0/8\n192.0.2.0/24")
    payload = a28(hospital, "IPP-NET", control="NET-1")
    with TlsClient(tls_listener.port, pki, pki.dpi) as client:
        ack = client.send(payload)
    assert_refused_and_logged_header_only(payload, ack, "NET-1", "adresse réseau non autorisée")


def test_sender_without_certificate_configuration_cannot_be_spoken_for_over_tls(tls_listener, pki, sender,
                                                                                 hospital):
    payload = a28(hospital, "IPP-NOCONF", control="NOCONF-1")
    with TlsClient(tls_listener.port, pki, pki.dpi) as client:  # a valid certificate of the CA
        ack = client.send(payload)
    assert_refused_and_logged_header_only(payload, ack, "NOCONF-1", "aucun certificat n'est configuré")


@pytest.mark.parametrize("who", ["rogue", "none"])
def test_certificate_of_another_ca_or_no_certificate_ends_at_the_handshake(tls_listener, pki, sender, hospital,
                                                                            caplog, who):
    caplog.set_level(logging.INFO, logger="oncodcc.interop.hl7v2.mllp")
    configure(sender, cert_subject="CN=dpi.chu-test.fr,O=CHU Test")  # the rogue certificate has this subject
    issued = pki.rogue if who == "rogue" else None
    # TLS 1.3: the server's alert comes with the first read.
    with pytest.raises((ssl.SSLError, ConnectionError)), TlsClient(tls_listener.port, pki, issued) as client:
        client.send(a28(hospital, "IPP-ROGUE", control="ROGUE-1"))
    records = wait_for_log(caplog, "connexion TLS refusée")
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert not Hl7Message.objects.exists() and not Patient.objects.exists()


def test_plain_connection_for_a_sender_configured_with_a_certificate_is_refused(pki, sender, hospital):
    configure(sender, cert_fingerprint=pki.dpi.fingerprint)
    thread = ListenerThread(workers=workers_for_test_database())  # plain, on 127.0.0.1
    thread.start()
    try:
        payload = a28(hospital, "IPP-PLAIN", control="PLAIN-1")
        with socket.create_connection(("127.0.0.1", thread.port), timeout=TIMEOUT) as sock:
            sock.sendall(frame(payload))
            deframer, frames = Deframer(1_000_000), []
            while not frames:
                frames = [e.payload for e in deframer.feed(sock.recv(65536)) if isinstance(e, Frame)]
    finally:
        thread.close(grace=10)
    assert_refused_and_logged_header_only(payload, frames[0], "PLAIN-1", "doit se connecter en TLS")
