"""DMP channel against the local XDS.b repository double over HTTPS with a client certificate: the MTOM request is
parsed by the double, which checks the metadata like the DMP and answers Success or a registry error."""

from dataclasses import replace

import pytest
from lxml import etree

from oncodcc.diffusion import ebrim, mtom
from oncodcc.diffusion.dmp import ACTION, UPDATE_ACTION, read_response, send_dmp
from oncodcc.diffusion.doubles.tlscert import self_signed
from oncodcc.diffusion.doubles.xds_repository import XdsRepository
from oncodcc.diffusion.xdsmeta import entry_uuid

from .conftest import INS, assert_valid_cda

H = {"h": "urn:hl7-org:v3"}


@pytest.fixture
def pki(tmp_path):
    return self_signed(tmp_path / "server"), self_signed(tmp_path / "client", name="oncodcc-client")


@pytest.fixture
def dmp(settings, pki, tmp_path):
    server, client = pki
    with XdsRepository(cert=server.cert, key=server.key, client_ca=client.cert, directory=tmp_path / "dmp") as repo:
        settings.DCC_DMP_URL = repo.url
        settings.DCC_DMP_CA = str(server.cert)
        settings.DCC_DMP_CERT, settings.DCC_DMP_KEY = str(client.cert), str(client.key)
        settings.DCC_DMP_TIMEOUT = 5
        yield repo


def test_fiche_is_registered(dmp, frcp, tmp_path):
    outcome = send_dmp(frcp)

    assert outcome.state == "delivered", outcome.detail
    assert outcome.detail == "Déposé dans le DMP."
    assert len(dmp.received) == 1
    received = dmp.received[0]
    assert received.content_type.startswith("multipart/related;") and 'type="application/xop+xml"' in \
        received.content_type
    assert outcome.request == received.body and b"RegistryResponse" in outcome.response
    env = etree.fromstring(received.envelope)
    header = f"{{{mtom.SOAP}}}Header"
    assert env.findtext(f"{header}/{{{mtom.WSA}}}Action") == ACTION
    assert env.findtext(f"{header}/{{{mtom.WSA}}}To") == dmp.url
    assert env.findtext(f"{header}/{{{mtom.WSA}}}MessageID").startswith("urn:uuid:")
    # The document travels as a binary MIME part, included by reference (XOP), not base64 in the envelope.
    document = env.find(f".//{{{ebrim.XDSB}}}Document")
    assert document.find(f"{{{mtom.XOP}}}Include").get("href").startswith("cid:")
    assert b"ClinicalDocument" not in received.envelope
    doc_id = etree.fromstring(frcp.cda).xpath("/h:ClinicalDocument/h:id/@root", namespaces=H)[0]
    assert received.documents == {entry_uuid(doc_id): frcp.cda}
    entry = env.find(f".//{{{ebrim.RIM}}}ExtrinsicObject")
    assert ebrim.external_ids(entry)[ebrim.DE_PATIENT_ID] == f"{INS}^^^&1.2.250.1.213.1.4.10&ISO"
    assert dmp.registered[doc_id]["document"] == frcp.cda
    assert (tmp_path / "dmp" / f"{doc_id}.xml").read_bytes() == frcp.cda
    assert_valid_cda(received.documents[entry_uuid(doc_id)], "FRCP", tmp_path)


def test_new_version_replaces_the_registered_one(dmp, frcp, frcp_v2):
    assert send_dmp(frcp_v2).state == "error"  # the version it replaces is unknown to the registry
    assert dmp.received[-1].errors[0][0] == "UnresolvedReferenceException"
    assert send_dmp(frcp).state == "delivered"
    outcome = send_dmp(frcp_v2)
    assert outcome.state == "delivered", outcome.detail
    env = etree.fromstring(dmp.received[-1].envelope)
    rplc = env.xpath("//rim:Association[@associationType=$t]", namespaces=ebrim.NSMAP, t=ebrim.RPLC)
    assert rplc[0].get("targetObject") == entry_uuid(frcp_v2.replaced_document_id)
    assert len(dmp.registered) == 2


def test_resend_is_idempotent_and_a_changed_content_is_refused(dmp, frcp):
    assert send_dmp(frcp).state == "delivered"
    assert send_dmp(frcp).state == "delivered"
    changed = replace(frcp, cda=frcp.cda.replace(b"<title>", b"<title>Modifi\xc3\xa9 ", 1))
    outcome = send_dmp(changed)
    assert outcome.state == "error" and "XDSNonIdenticalHash" in outcome.detail
    assert len(dmp.registered) == 1


def test_missing_slot_is_refused_by_the_registry(dmp, frcp):
    root = etree.fromstring(frcp.cda)
    for node in root.xpath("//h:documentationOf/h:serviceEvent/h:effectiveTime", namespaces=H):
        node.getparent().remove(node)
    outcome = send_dmp(replace(frcp, cda=etree.tostring(root, xml_declaration=True, encoding="UTF-8")))
    assert outcome.state == "error"
    assert outcome.detail == "Refus du DMP — XDSRegistryMetadataError : XDSDocumentEntry.serviceStartTime absent"
    assert b"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure" in outcome.response
    assert dmp.registered == {}


def test_unqualified_ins_is_not_sent(dmp, frcp):
    outcome = send_dmp(replace(frcp, patient_ins_qualified=False))
    assert outcome.state == "error" and outcome.detail.startswith("INS non qualifiée")
    assert outcome.request == b""
    outcome = send_dmp(replace(frcp, patient_ins="", patient_ins_oid=""))
    assert outcome.state == "error"
    assert dmp.received == []


def test_withdrawal_unpublishes_the_registered_entry(settings, dmp, frcp):
    """TD3.3c: ITI-57 (Update Document Set) from Approved to the DMP's Deleted status, to the registry endpoint."""
    doc_id = etree.fromstring(frcp.cda).xpath("/h:ClinicalDocument/h:id/@root", namespaces=H)[0]
    withdrawn = replace(frcp, action="delete")
    outcome = send_dmp(withdrawn)  # nothing registered yet: the registry does not know the entry
    assert outcome.state == "error" and "UnresolvedReferenceException" in outcome.detail
    assert send_dmp(frcp).state == "delivered"
    assert dmp.status_of(doc_id) == ebrim.APPROVED

    outcome = send_dmp(withdrawn)
    assert outcome.state == "delivered", outcome.detail
    assert outcome.detail == "Dépublié du DMP."
    assert dmp.status_of(doc_id) == ebrim.DMP_DELETED
    env = etree.fromstring(dmp.received[-1].envelope)
    assert env.findtext(f"{{{mtom.SOAP}}}Header/{{{mtom.WSA}}}Action") == UPDATE_ACTION
    update = env.xpath("//rim:Association[@associationType=$t]", namespaces=ebrim.NSMAP, t=ebrim.UPDATE_AVAILABILITY)
    assert len(update) == 1 and update[0].get("sourceObject") == ebrim.SUBMISSION_ID
    assert update[0].get("targetObject") == entry_uuid(doc_id)
    assert ebrim.slots(update[0]) == {"OriginalStatus": [ebrim.APPROVED], "NewStatus": [ebrim.DMP_DELETED]}
    assert env.find(f".//{{{ebrim.RIM}}}ExtrinsicObject") is None  # metadata only: no document travels
    assert send_dmp(withdrawn).state == "delivered"  # a resend is idempotent

    settings.DCC_DMP_REGISTRY_URL = dmp.url.replace("/xds/iti41", "/xds/iti57")
    assert send_dmp(withdrawn).state == "delivered"
    env = etree.fromstring(dmp.received[-1].envelope)
    assert env.findtext(f"{{{mtom.SOAP}}}Header/{{{mtom.WSA}}}To").endswith("/xds/iti57")


def test_withdrawal_of_another_patients_entry_is_refused(dmp, frcp):
    assert send_dmp(frcp).state == "delivered"
    sent = len(dmp.received)
    other = replace(frcp, action="delete", patient_ins="180017512345678")
    outcome = send_dmp(other)  # refused before sending: the CDA names another INS
    assert outcome.state == "error" and "ne correspond pas" in outcome.detail
    assert len(dmp.received) == sent


def test_server_down_is_a_retry(dmp, frcp):
    dmp.stop()
    outcome = send_dmp(frcp)
    assert outcome.state == "retry" and outcome.detail.startswith("DMP injoignable")
    assert outcome.request


def test_slow_server_times_out_into_a_retry(settings, dmp, frcp):
    settings.DCC_DMP_TIMEOUT = 0.5
    dmp.delay = 2
    outcome = send_dmp(frcp)
    assert outcome.state == "retry" and "Timeout" in outcome.detail


def test_untrusted_server_and_missing_client_certificate(settings, dmp, frcp, pki):
    settings.DCC_DMP_CA = str(pki[1].cert)  # not the server's authority
    outcome = send_dmp(frcp)
    assert outcome.state == "error" and outcome.detail.startswith("Certificat du DMP refusé")
    settings.DCC_DMP_CA, settings.DCC_DMP_CERT = str(pki[0].cert), ""
    assert send_dmp(frcp).state in ("retry", "error")  # the server closes the handshake: never delivered
    assert dmp.registered == {}


def test_plain_http_double_and_the_pps(settings, pps, tmp_path):
    with XdsRepository() as repo:
        settings.DCC_DMP_URL = repo.url
        outcome = send_dmp(pps)
        assert outcome.state == "delivered", outcome.detail
        assert_valid_cda(next(iter(repo.received[0].documents.values())), "PPS", tmp_path)


def test_faults_and_unavailability():
    fault = (b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><e:Fault><e:Code><e:Value>'
             b'e:%s</e:Value></e:Code><e:Reason><e:Text xml:lang="fr">%s</e:Text></e:Reason></e:Fault></e:Body>'
             b'</e:Envelope>')
    assert read_response(500, "application/soap+xml", fault % (b"Receiver", b"Base indisponible"))[0] == "retry"
    state, detail = read_response(500, "application/soap+xml", fault % (b"Sender", b"Certificat inconnu"))
    assert (state, detail) == ("error", "Requête refusée par le DMP : Certificat inconnu")
    assert read_response(503, "text/html", b"<html>Service Unavailable")[0] == "retry"
