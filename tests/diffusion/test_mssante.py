"""MSSanté channel through a real SMTP relay (aiosmtpd double on 127.0.0.1): what arrives is unzipped and checked
file by file, the XDS metadata against the CDA header, the CDA with the ANS kit; faults end in retry or error."""

import io
import socket
import threading
import zipfile

import pytest
from lxml import etree

from oncodcc.diffusion import ebrim
from oncodcc.diffusion.doubles.smtp_relay import SmtpRelay
from oncodcc.diffusion.mssante import send_mssante
from oncodcc.diffusion.xdsmeta import entry_uuid, utc_ts

from .conftest import INS, PDF, assert_valid_cda

H = {"h": "urn:hl7-org:v3"}
TO = "dr.durand@chu-demo.mssante.fr"
SENDER = "3c-demo@dsrc-demo.mssante.fr"
LOGIN = ("oncodcc", "s3cret")


@pytest.fixture
def relay(tmp_path):
    with SmtpRelay(tls="starttls", login=LOGIN, directory=tmp_path / "mail") as r:
        yield r


@pytest.fixture
def configured(settings, relay):
    settings.DCC_MSSANTE_SMTP_HOST = "127.0.0.1"
    settings.DCC_MSSANTE_SMTP_PORT = relay.port
    settings.DCC_MSSANTE_SMTP_TLS = "starttls"
    settings.DCC_MSSANTE_SMTP_CA = str(relay.ca_file)
    settings.DCC_MSSANTE_SMTP_USER, settings.DCC_MSSANTE_SMTP_PASSWORD = LOGIN
    settings.DCC_MSSANTE_SMTP_TIMEOUT = 5
    settings.DCC_MSSANTE_FROM = "dcc@dsrc-demo.mssante.fr"
    return settings


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def cda_value(cda: bytes, path: str):
    return etree.fromstring(cda).xpath(path, namespaces=H)


def test_fiche_arrives_as_xdm_with_metadata_from_the_cda_header(configured, relay, frcp, tmp_path):
    outcome = send_mssante(frcp, to=TO, sender=SENDER, recipient_label="Dr Durand")

    assert outcome.state == "delivered", outcome.response
    assert outcome.response.startswith(b"250")
    assert len(relay.messages) == 1
    mail = relay.messages[0]
    assert mail.mail_from == SENDER and mail.rcpt_tos == (TO,)
    assert outcome.request.rstrip() == mail.data.rstrip()  # the raw message kept for the attempt log
    assert list((tmp_path / "mail").glob("*.eml"))
    message = mail.message()
    # Subject: patient-neutral. Body: French, names the patient for the doctor.
    assert message["Subject"] == "[OncoDCC] Fiche RCP — nouveau document"
    for identity in ("MARTIN", "Martin", "Jeanne", INS, "1979"):
        assert identity not in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("Bonjour Dr Durand,")
    assert "concernant Jeanne MARTIN, née le 28/03/1979" in text and "IHE_XDM.ZIP" in text
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {"IHE_XDM.ZIP", "FRCP-v1.pdf"}
    assert attachments["IHE_XDM.ZIP"].get_content_type() == "application/zip"
    assert attachments["FRCP-v1.pdf"].get_content() == PDF

    files = unzip(attachments["IHE_XDM.ZIP"].get_content())
    assert set(files) == {"INDEX.HTM", "README.TXT", "IHE_XDM/SUBSET01/METADATA.XML", "IHE_XDM/SUBSET01/DOC0001.XML"}
    assert files["IHE_XDM/SUBSET01/DOC0001.XML"] == frcp.cda
    readme = files["README.TXT"].decode()
    assert "Émetteur : OncoDCC" in readme and "DOC0001.XML" in readme
    index = files["INDEX.HTM"].decode()
    assert 'href="IHE_XDM/SUBSET01/DOC0001.XML"' in index and 'href="IHE_XDM/SUBSET01/METADATA.XML"' in index

    request = etree.fromstring(files["IHE_XDM/SUBSET01/METADATA.XML"])
    assert request.tag == f"{{{ebrim.LCM}}}SubmitObjectsRequest"
    entry = request.find(f".//{{{ebrim.RIM}}}ExtrinsicObject")
    package = request.find(f".//{{{ebrim.RIM}}}RegistryPackage")
    doc_id = cda_value(frcp.cda, "/h:ClinicalDocument/h:id/@root")[0]
    assert entry.get("id") == entry_uuid(doc_id) and entry.get("mimeType") == "text/xml"
    assert entry.get("objectType") == ebrim.STABLE_DOCUMENT
    slots = ebrim.slots(entry)
    assert slots["URI"] == ["DOC0001.XML"]
    assert slots["creationTime"] == [utc_ts(cda_value(frcp.cda, "/h:ClinicalDocument/h:effectiveTime/@value")[0])]
    assert slots["languageCode"] == cda_value(frcp.cda, "/h:ClinicalDocument/h:languageCode/@code")
    assert slots["size"] == [str(len(frcp.cda))]
    assert slots["sourcePatientId"] == [f"{INS}^^^&1.2.250.1.213.1.4.10&ISO"]
    assert "PID-5|MARTIN^Jeanne^^^^^L" in slots["sourcePatientInfo"]
    low = cda_value(frcp.cda, "//h:serviceEvent/h:effectiveTime/h:low/@value")[0]
    assert slots["serviceStartTime"] == [utc_ts(low)]
    assert entry.find(f"{{{ebrim.RIM}}}Name/{{{ebrim.RIM}}}LocalizedString").get("value") == \
        cda_value(frcp.cda, "string(/h:ClinicalDocument/h:title)")
    codes = ebrim.classifications(entry)
    assert codes["typeCode"][0].code == cda_value(frcp.cda, "/h:ClinicalDocument/h:code/@code")[0] == "34794-8"
    assert codes["classCode"][0].code == "10"
    assert codes["formatCode"][0].code == "urn:asip:ci-sis:frcp:2011"
    assert [c.code for c in codes["confidentialityCode"]] == \
        cda_value(frcp.cda, "/h:ClinicalDocument/h:confidentialityCode/@code")
    assert {c.code for c in codes["eventCodeList"]} == set(cda_value(frcp.cda, "//h:serviceEvent/h:code/@code"))
    assert codes["practiceSettingCode"][0].code == "ETABLISSEMENT"
    assert codes["healthcareFacilityTypeCode"][0].code == "SA01"
    author = ebrim.author_slots(entry, ebrim.DE_AUTHOR)
    assert author["authorInstitution"] == ["CHU de Démo^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750712184"]
    family = cda_value(frcp.cda, "string(/h:ClinicalDocument/h:author/h:assignedAuthor/h:assignedPerson/h:name/"
                                 "h:family)")
    assert f"^{family}^" in author["authorPerson"][0]
    ids = ebrim.external_ids(entry)
    assert ids[ebrim.DE_UNIQUE_ID] == doc_id and ids[ebrim.DE_PATIENT_ID] == slots["sourcePatientId"][0]
    assert ebrim.slots(package)["intendedRecipient"] == [f"||^^Internet^{TO}"]
    package_ids = ebrim.external_ids(package)
    assert package_ids[ebrim.SS_PATIENT_ID] == ids[ebrim.DE_PATIENT_ID]
    assert package_ids[ebrim.SS_UNIQUE_ID].startswith("2.25.") and package_ids[ebrim.SS_SOURCE_ID]
    member = request.find(f".//{{{ebrim.RIM}}}Association")
    assert (member.get("associationType"), member.get("sourceObject"), member.get("targetObject")) == \
        (ebrim.HAS_MEMBER, package.get("id"), entry.get("id"))

    assert_valid_cda(files["IHE_XDM/SUBSET01/DOC0001.XML"], "FRCP", tmp_path)


def test_pps_and_new_version(configured, relay, pps, frcp_v2):
    assert send_mssante(pps, to=TO, sender=SENDER, recipient_label="").state == "delivered"
    outcome = send_mssante(frcp_v2, to=TO, sender="", recipient_label="Dr Durand")
    assert outcome.state == "delivered"
    first, second = (m.message() for m in relay.messages)
    assert first["Subject"] == "[OncoDCC] Programme personnalisé de soins (PPS) — nouveau document"
    assert first.get_body(("plain",)).get_content().startswith("Bonjour,")
    assert second["Subject"] == "[OncoDCC] Fiche RCP — nouvelle version"
    assert relay.messages[1].mail_from == "dcc@dsrc-demo.mssante.fr"  # the default sender
    xdm = next(p for p in second.iter_attachments() if p.get_filename() == "IHE_XDM.ZIP").get_content()
    request = etree.fromstring(unzip(xdm)["IHE_XDM/SUBSET01/METADATA.XML"])
    rplc = request.xpath("//rim:Association[@associationType=$t]", namespaces=ebrim.NSMAP, t=ebrim.RPLC)
    assert rplc[0].get("targetObject") == entry_uuid(frcp_v2.replaced_document_id)


def test_withdrawn_document_is_announced_without_attachment(configured, relay, frcp):
    from dataclasses import replace
    outcome = send_mssante(replace(frcp, action="delete"), to=TO, sender=SENDER, recipient_label="Dr Durand")
    assert outcome.state == "delivered"
    message = relay.messages[0].message()
    assert message["Subject"] == "[OncoDCC] Fiche RCP — document retiré"
    assert not list(message.iter_attachments())
    assert "a été retiré" in message.get_body(("plain",)).get_content()


def test_implicit_tls(settings, frcp):
    with SmtpRelay(tls="tls") as relay:
        settings.DCC_MSSANTE_SMTP_HOST, settings.DCC_MSSANTE_SMTP_PORT = "127.0.0.1", relay.port
        settings.DCC_MSSANTE_SMTP_TLS, settings.DCC_MSSANTE_SMTP_CA = "tls", str(relay.ca_file)
        settings.DCC_MSSANTE_SMTP_USER = ""
        assert send_mssante(frcp, to=TO, sender=SENDER, recipient_label="").state == "delivered"
        assert len(relay.messages) == 1


def test_authentication_refused_is_an_error(configured, relay, frcp):
    configured.DCC_MSSANTE_SMTP_PASSWORD = "wrong"
    outcome = send_mssante(frcp, to=TO, sender=SENDER, recipient_label="")
    assert outcome.state == "error"
    assert outcome.detail.startswith("Authentification refusée") and outcome.response.startswith(b"535")
    assert relay.messages == []


def test_untrusted_certificate_is_an_error(configured, relay, frcp):
    configured.DCC_MSSANTE_SMTP_CA = ""
    outcome = send_mssante(frcp, to=TO, sender=SENDER, recipient_label="")
    assert outcome.state == "error" and "Certificat" in outcome.detail
    assert relay.messages == []


def test_relay_down_is_a_retry(configured, relay, frcp):
    relay.stop()
    outcome = send_mssante(frcp, to=TO, sender=SENDER, recipient_label="")
    assert outcome.state == "retry" and "injoignable" in outcome.detail
    assert outcome.request  # the message built is kept for the attempt log


def test_temporary_refusal_is_a_retry_and_permanent_refusal_an_error(configured, relay, frcp):
    relay.reply = "451 4.3.0 Mailbox temporarily unavailable"
    outcome = send_mssante(frcp, to=TO, sender=SENDER, recipient_label="")
    assert outcome.state == "retry" and outcome.response.startswith(b"451")
    relay.reply = "554 5.7.1 Message refused"
    outcome = send_mssante(frcp, to=TO, sender=SENDER, recipient_label="")
    assert outcome.state == "error" and outcome.response.startswith(b"554")
    assert relay.messages == []


def test_silent_relay_times_out_into_a_retry(settings, frcp):
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True)
    thread.start()
    settings.DCC_MSSANTE_SMTP_HOST, settings.DCC_MSSANTE_SMTP_PORT = "127.0.0.1", server.getsockname()[1]
    settings.DCC_MSSANTE_SMTP_TIMEOUT = 0.5
    settings.DCC_MSSANTE_FROM = SENDER
    try:
        outcome = send_mssante(frcp, to=TO, sender=SENDER, recipient_label="")
    finally:
        thread.join(2)
        for conn, _ in accepted:
            conn.close()
        server.close()
    assert outcome.state == "retry"


def test_unconfigured_relay_is_an_error(settings, frcp):
    settings.DCC_MSSANTE_SMTP_HOST = ""
    outcome = send_mssante(frcp, to=TO, sender=SENDER, recipient_label="")
    assert outcome.state == "error" and "non configuré" in outcome.detail
