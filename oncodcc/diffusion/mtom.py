"""SOAP 1.2 with MTOM/XOP (multipart/related, application/xop+xml root part): building and reading, shared by the
DMP channel and the XDS.b repository double. The parser refuses DTDs, entities and network access."""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import unquote

from lxml import etree

SOAP = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
XOP = "http://www.w3.org/2004/08/xop/include"


def xml_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


@dataclass(frozen=True)
class Mtom:
    content_type: str
    body: bytes


def envelope(action: str, body: etree._Element, *, to: str = "", message_id: str = "",
             relates_to: str = "") -> etree._Element:
    """A SOAP 1.2 envelope with its WS-Addressing header (mustUnderstand Action, as IHE asks)."""
    env = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap": SOAP, "wsa": WSA})
    header = etree.SubElement(env, f"{{{SOAP}}}Header")
    act = etree.SubElement(header, f"{{{WSA}}}Action", {f"{{{SOAP}}}mustUnderstand": "true"})
    act.text = action
    if message_id:
        etree.SubElement(header, f"{{{WSA}}}MessageID").text = message_id
    if relates_to:
        etree.SubElement(header, f"{{{WSA}}}RelatesTo").text = relates_to
    if to:
        etree.SubElement(header, f"{{{WSA}}}To").text = to
    if message_id and not relates_to:
        reply = etree.SubElement(header, f"{{{WSA}}}ReplyTo")
        etree.SubElement(reply, f"{{{WSA}}}Address").text = "http://www.w3.org/2005/08/addressing/anonymous"
    etree.SubElement(env, f"{{{SOAP}}}Body").append(body)
    return env


def package(env: etree._Element, attachments: dict[str, tuple[str, bytes]], action: str) -> Mtom:
    """multipart/related: the envelope as the application/xop+xml root, then each attachment (cid → (type, data))."""
    boundary = f"MIMEBoundary_{uuid.uuid4().hex}"
    root_id = f"root.{uuid.uuid4().hex}@oncodcc"
    parts = [
        (f"--{boundary}\r\nContent-Type: application/xop+xml; charset=UTF-8; type=\"application/soap+xml\"\r\n"
         f"Content-Transfer-Encoding: binary\r\nContent-ID: <{root_id}>\r\n\r\n").encode()
        + etree.tostring(env, xml_declaration=True, encoding="UTF-8") + b"\r\n"
    ]
    for cid, (mime, data) in attachments.items():
        parts.append((f"--{boundary}\r\nContent-Type: {mime}\r\nContent-Transfer-Encoding: binary\r\n"
                      f"Content-ID: <{cid}>\r\n\r\n").encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    content_type = (f'multipart/related; type="application/xop+xml"; boundary="{boundary}"; start="<{root_id}>"; '
                    f'start-info="application/soap+xml"; action="{action}"')
    return Mtom(content_type, body)


def split(content_type: str, body: bytes) -> tuple[bytes, dict[str, bytes]]:
    """(root XML, {content id: bytes}) of an MTOM message; a plain SOAP message is its own root."""
    if "multipart/related" not in content_type.lower():
        return body, {}
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    start = (message.get_param("start", header="content-type") or "").strip("<>")
    root, parts = None, {}
    for part in message.iter_parts():
        cid = (part.get("Content-ID") or "").strip().strip("<>")
        data = part.get_payload(decode=True) or b""
        if root is None and (not start or cid == start):
            root = data
        else:
            parts[cid] = data
    if root is None:
        raise ValueError("MTOM message without its root part")
    return root, parts


def resolve(element: etree._Element, parts: dict[str, bytes]) -> bytes | None:
    """The bytes of an element holding an xop:Include (cid: reference) or base64 text."""
    include = element.find(f"{{{XOP}}}Include")
    if include is not None:
        href = re.sub(r"^cid:", "", include.get("href") or "")
        return parts.get(unquote(href))
    text = "".join((element.text or "").split())
    return base64.b64decode(text) if text else None


def fault(env: etree._Element) -> tuple[str, str] | None:
    """(code value, reason text) of a SOAP 1.2 fault, None when the body holds no fault."""
    node = env.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    if node is None:
        return None
    code = node.findtext(f"{{{SOAP}}}Code/{{{SOAP}}}Value") or ""
    reason = " ".join(" ".join(r.itertext()).strip() for r in node.iterfind(f"{{{SOAP}}}Reason/{{{SOAP}}}Text"))
    return code.strip(), reason.strip()
