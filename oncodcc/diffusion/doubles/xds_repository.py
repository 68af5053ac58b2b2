"""A local XDS.b Document Repository + Registry standing in for the DMP (tests and demo).

A stdlib HTTP server in a thread on 127.0.0.1 (port 0: a free port), HTTPS with a required client certificate when
given a certificate and a client authority. It reads the MTOM/XOP request, the SOAP 1.2 envelope and the ebRIM
metadata, checks what the DMP requires (the patient id is an INS in CX form with an INS OID and the same in the
submission set; the mandatory slots, classifications and external identifiers; the document part is present and
matches the hash and size given) and answers a RegistryResponse Success, or Failure with RegistryErrors carrying
the codes of the real registry (XDSRegistryMetadataError, XDSPatientIdDoesNotMatch, XDSMissingDocument,
XDSRepositoryMetadataError, XDSNonIdenticalHash, UnresolvedReferenceException). A resend of a document already
registered with the same hash is accepted (idempotent). It also takes the DMP's unpublishing (XDS Metadata Update,
ITI-57: an UpdateAvailabilityStatus association from Approved to the DMP's Deleted status on a registered entry of
the same patient; a repeated unpublishing is accepted, an unknown entry is UnresolvedReferenceException, a wrong
original status XDSMetadataUpdateError). `delay` holds each answer (timeouts), `directory` keeps each accepted
document (the demo uses var/dmp/).
"""

from __future__ import annotations

import hashlib
import re
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lxml import etree

from .. import ebrim, mtom
from ..dmp import ACTION, FAILURE, RESPONSE_ACTION, SUCCESS, UPDATE_ACTION, UPDATE_RESPONSE_ACTION
from ..xdsmeta import INS_OIDS

RIM = f"{{{ebrim.RIM}}}"
DE_SLOTS = ("creationTime", "languageCode", "sourcePatientId", "sourcePatientInfo", "serviceStartTime")
DE_CODES = ("classCode", "typeCode", "formatCode", "confidentialityCode", "healthcareFacilityTypeCode",
            "practiceSettingCode")
PATIENT_CX = re.compile(r"^(?P<id>[^^]+)\^\^\^&(?P<oid>[0-9.]+)&ISO$")


@dataclass
class Received:
    """One request as the double saw it, and its answer."""
    content_type: str
    body: bytes
    envelope: bytes = b""
    documents: dict[str, bytes] = field(default_factory=dict)  # entry id → document bytes
    status: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)  # (errorCode, codeContext)


class XdsRepository:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, cert: Path | None = None, key: Path | None = None,
                 client_ca: Path | None = None, delay: float = 0.0, directory: Path | None = None):
        self.host, self.port, self.delay, self.directory = host, port, delay, directory
        self.cert, self.key, self.client_ca = cert, key, client_ca
        self.received: list[Received] = []
        self.registered: dict[str, dict] = {}  # uniqueId → {"entry": uuid, "hash": …, "patient": …, "document": …}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def status_of(self, unique_id: str) -> str:
        """The availability status of a registered document ("" when unknown)."""
        known = self.registered.get(unique_id)
        return known["status"] if known else ""

    @property
    def url(self) -> str:
        return f"{'https' if self.cert else 'http'}://{self.host}:{self.port}/xds/iti41"

    def start(self) -> XdsRepository:
        repository = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                received = Received(self.headers.get("Content-Type", ""), self.rfile.read(length))
                if repository.delay:
                    time.sleep(repository.delay)
                status, content_type, body = repository.handle(received)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # no request lines (they would name nobody, but keep the tests quiet)
                return

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        if self.cert:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert, self.key)
            if self.client_ca:
                context.verify_mode = ssl.CERT_REQUIRED
                context.load_verify_locations(self.client_ca)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> XdsRepository:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the transaction ----------------------------------------------------------------------------------------

    def handle(self, received: Received) -> tuple[int, str, bytes]:
        with self._lock:
            self.received.append(received)
            try:
                root, parts = mtom.split(received.content_type, received.body)
                received.envelope = root
                env = etree.fromstring(root, mtom.xml_parser())
            except (ValueError, etree.XMLSyntaxError):
                return self._fault(received, "soap:Sender", "Message MTOM/SOAP illisible")
            action = env.findtext(f"{{{mtom.SOAP}}}Header/{{{mtom.WSA}}}Action") or ""
            message_id = env.findtext(f"{{{mtom.SOAP}}}Header/{{{mtom.WSA}}}MessageID") or ""
            if action.strip() == UPDATE_ACTION:
                return self._update(env, received, message_id)
            if action.strip() != ACTION:
                return self._fault(received, "soap:Sender", f"Action WS-Addressing inattendue : {action}")
            request = env.find(f"{{{mtom.SOAP}}}Body/{{{ebrim.XDSB}}}ProvideAndRegisterDocumentSetRequest")
            if request is None:
                return self._fault(received, "soap:Sender", "ProvideAndRegisterDocumentSetRequest absent")
            errors = self._check(request, parts, received)
            received.status, received.errors = (FAILURE, errors) if errors else (SUCCESS, [])
            if not errors:
                self._register(request, received)
            return self._answer(received, message_id)

    def _update(self, env, received: Received, message_id: str) -> tuple[int, str, bytes]:
        objects = env.find(f"{{{mtom.SOAP}}}Body/{{{ebrim.LCM}}}SubmitObjectsRequest/{RIM}RegistryObjectList")
        if objects is None:
            return self._fault(received, "soap:Sender", "SubmitObjectsRequest absent")
        errors = self._check_submission_set(objects)
        package = objects.find(f"{RIM}RegistryPackage")
        ss_patient = ebrim.external_ids(package).get(ebrim.SS_PATIENT_ID, "") if package is not None else ""
        updates = objects.findall(f"{RIM}Association[@associationType='{ebrim.UPDATE_AVAILABILITY}']")
        if not updates:
            errors.append(("XDSMetadataUpdateError", "Aucune association UpdateAvailabilityStatus"))
        changes = []
        for assoc in updates:
            values = ebrim.slots(assoc)
            original, new = values.get("OriginalStatus", [""])[0], values.get("NewStatus", [""])[0]
            target = assoc.get("targetObject")
            if package is None or assoc.get("sourceObject") != package.get("id"):
                errors.append(("XDSMetadataUpdateError", "L'association ne part pas du lot de soumission"))
            if new != ebrim.DMP_DELETED or original != ebrim.APPROVED:
                errors.append(("XDSMetadataUpdateError", f"Changement de statut non pris en charge : {original} → "
                                                         f"{new}"))
                continue
            found = next((u for u, r in self.registered.items() if r["entry"] == target), None)
            if found is None:
                errors.append(("UnresolvedReferenceException", f"Fiche de document inconnue : {target}"))
            elif self.registered[found]["patient"] != ss_patient:
                errors.append(("XDSPatientIdDoesNotMatch", "Le patient du lot diffère de celui du document"))
            else:
                changes.append(found)
        received.status, received.errors = (FAILURE, errors) if errors else (SUCCESS, [])
        if not errors:
            for unique_id in changes:
                self.registered[unique_id]["status"] = ebrim.DMP_DELETED
        return self._answer(received, message_id, UPDATE_RESPONSE_ACTION)

    def _check_submission_set(self, objects) -> list[tuple[str, str]]:
        errors: list[tuple[str, str]] = []
        package = objects.find(f"{RIM}RegistryPackage")
        if package is None:
            return [("XDSRegistryMetadataError", "Lot de soumission (RegistryPackage) absent")]
        ss_ids = ebrim.external_ids(package)
        for name, scheme in (("XDSSubmissionSet.uniqueId", ebrim.SS_UNIQUE_ID),
                             ("XDSSubmissionSet.sourceId", ebrim.SS_SOURCE_ID),
                             ("XDSSubmissionSet.patientId", ebrim.SS_PATIENT_ID)):
            if not ss_ids.get(scheme):
                errors.append(("XDSRegistryMetadataError", f"{name} absent"))
        if not ebrim.slots(package).get("submissionTime"):
            errors.append(("XDSRegistryMetadataError", "XDSSubmissionSet.submissionTime absent"))
        if "contentTypeCode" not in ebrim.classifications(package):
            errors.append(("XDSRegistryMetadataError", "XDSSubmissionSet.contentTypeCode absent"))
        author = ebrim.author_slots(package, ebrim.SS_AUTHOR)
        if not author.get("authorPerson") and not author.get("authorInstitution"):
            errors.append(("XDSRegistryMetadataError", "XDSSubmissionSet.author absent"))
        return errors

    def _check(self, request, parts: dict[str, bytes], received: Received) -> list[tuple[str, str]]:
        errors: list[tuple[str, str]] = []
        objects = request.find(f"{{{ebrim.LCM}}}SubmitObjectsRequest/{RIM}RegistryObjectList")
        if objects is None:
            return [("XDSRegistryMetadataError", "RegistryObjectList absent")]
        entries = objects.findall(f"{RIM}ExtrinsicObject")
        package = objects.find(f"{RIM}RegistryPackage")
        documents = {d.get("id"): d for d in request.iterfind(f"{{{ebrim.XDSB}}}Document")}
        if not entries:
            errors.append(("XDSMissingDocumentMetadata", "Aucune fiche de document (ExtrinsicObject)"))
        errors += self._check_submission_set(objects)
        if package is None:
            return errors
        ss_patient = ebrim.external_ids(package).get(ebrim.SS_PATIENT_ID, "")
        for entry in entries:
            errors += self._check_entry(entry, ss_patient, documents, parts, received)
        for assoc in objects.iterfind(f"{RIM}Association[@associationType='{ebrim.RPLC}']"):
            target = assoc.get("targetObject")
            if not any(r["entry"] == target for r in self.registered.values()):
                errors.append(("UnresolvedReferenceException", f"Document remplacé inconnu : {target}"))
        return errors

    def _check_entry(self, entry, ss_patient, documents, parts, received) -> list[tuple[str, str]]:
        errors = []
        ident = entry.get("id")
        ids = ebrim.external_ids(entry)
        unique_id = ids.get(ebrim.DE_UNIQUE_ID, "")
        if not unique_id:
            errors.append(("XDSRegistryMetadataError", "XDSDocumentEntry.uniqueId absent"))
        patient = ids.get(ebrim.DE_PATIENT_ID, "")
        match = PATIENT_CX.match(patient)
        if match is None or match.group("oid") not in INS_OIDS:
            errors.append(("XDSUnknownPatientId", f"Identifiant patient qui n'est pas un INS : {patient or 'absent'}"))
        elif patient != ss_patient:
            errors.append(("XDSPatientIdDoesNotMatch", "Le patient du document diffère de celui du lot"))
        slots = ebrim.slots(entry)
        for name in DE_SLOTS:
            if not slots.get(name):
                errors.append(("XDSRegistryMetadataError", f"XDSDocumentEntry.{name} absent"))
        codes = ebrim.classifications(entry)
        for name in DE_CODES:
            if not codes.get(name) or not all(c.code and c.scheme for c in codes[name]):
                errors.append(("XDSRegistryMetadataError", f"XDSDocumentEntry.{name} absent"))
        author = ebrim.author_slots(entry, ebrim.DE_AUTHOR)
        if not author.get("authorPerson") or not author.get("authorInstitution"):
            errors.append(("XDSRegistryMetadataError", "XDSDocumentEntry.author incomplet"))
        if entry.find(f"{RIM}Name/{RIM}LocalizedString") is None:
            errors.append(("XDSRegistryMetadataError", "XDSDocumentEntry.title absent"))
        element = documents.get(ident)
        data = mtom.resolve(element, parts) if element is not None else None
        if data is None:
            errors.append(("XDSMissingDocument", f"Document absent pour la fiche {ident}"))
            return errors
        received.documents[ident] = data
        digest = hashlib.sha1(data).hexdigest()  # noqa: S324 - the XDS hash slot is SHA-1 by definition
        if slots.get("hash") and slots["hash"][0].lower() != digest:
            errors.append(("XDSRepositoryMetadataError", "hash ne correspond pas au document"))
        if slots.get("size") and slots["size"][0] != str(len(data)):
            errors.append(("XDSRepositoryMetadataError", "size ne correspond pas au document"))
        known = self.registered.get(unique_id)
        if known is not None and known["hash"] != digest:
            errors.append(("XDSNonIdenticalHash", f"uniqueId déjà enregistré avec un autre contenu : {unique_id}"))
        return errors

    def _register(self, request, received: Received) -> None:
        for entry in request.iter(f"{RIM}ExtrinsicObject"):
            ids = ebrim.external_ids(entry)
            data = received.documents[entry.get("id")]
            unique_id = ids[ebrim.DE_UNIQUE_ID]
            self.registered[unique_id] = {"entry": entry.get("id"), "hash": hashlib.sha1(data).hexdigest(),  # noqa: S324
                                          "patient": ids[ebrim.DE_PATIENT_ID], "document": data,
                                          "status": ebrim.APPROVED}
            if self.directory is not None:
                self.directory.mkdir(parents=True, exist_ok=True)
                (self.directory / f"{re.sub(r'[^A-Za-z0-9.-]', '_', unique_id)}.xml").write_bytes(data)

    # --- answers -------------------------------------------------------------------------------------------------

    def _answer(self, received: Received, message_id: str, action: str = RESPONSE_ACTION) -> tuple[int, str, bytes]:
        response = etree.Element(f"{{{ebrim.RS}}}RegistryResponse", status=received.status,
                                 nsmap={"rs": ebrim.RS})
        if received.errors:
            errors = etree.SubElement(response, f"{{{ebrim.RS}}}RegistryErrorList")
            for code, context in received.errors:
                etree.SubElement(errors, f"{{{ebrim.RS}}}RegistryError", errorCode=code, codeContext=context,
                                 location="XdsRepositoryDouble",
                                 severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error")
        env = mtom.envelope(action, response, relates_to=message_id)
        message = mtom.package(env, {}, action)
        return 200, message.content_type, message.body

    def _fault(self, received: Received, code: str, reason: str) -> tuple[int, str, bytes]:
        received.status = "fault"
        env = etree.Element(f"{{{mtom.SOAP}}}Envelope", nsmap={"soap": mtom.SOAP})
        node = etree.SubElement(etree.SubElement(env, f"{{{mtom.SOAP}}}Body"), f"{{{mtom.SOAP}}}Fault")
        etree.SubElement(etree.SubElement(node, f"{{{mtom.SOAP}}}Code"), f"{{{mtom.SOAP}}}Value").text = code
        text = etree.SubElement(etree.SubElement(node, f"{{{mtom.SOAP}}}Reason"), f"{{{mtom.SOAP}}}Text")
        text.text = reason
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
        return 500, "application/soap+xml; charset=UTF-8", etree.tostring(env, xml_declaration=True,
                                                                          encoding="UTF-8")
