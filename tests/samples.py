"""Synthetic interoperability samples for the tests: valid INS matricules, hospitals with an OID, and CDA R2
reports (CR-ACP, CR-GM… level 3 or level 1 with a PDF inside). Only made-up identities (Faker fr_FR)."""

import base64
import itertools
import uuid
from datetime import date
from xml.sax.saxutils import escape

from oncodcc.directory.models import Organisation
from oncodcc.patients.models import OID_INS_NIR

from .factories import OrganisationFactory

_order = itertools.count(101)
_hospital = itertools.count(1)

# A minimal valid PDF (one empty page), for level-1 CDA tests.
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def nir(*, sex: str, birth_date: date, place: str = "75056", order: int | None = None) -> str:
    """A 15-character NIR consistent with the traits (sex, year, month, place), with its control key."""
    order = next(_order) % 1000 if order is None else order
    body = f"{'1' if sex == 'M' else '2'}{birth_date.year % 100:02d}{birth_date.month:02d}{place}{order:03d}"
    number = int(body.replace("2A", "19").replace("2B", "18"))
    return f"{body}{97 - number % 97:02d}"


def hospital(**kwargs) -> Organisation:
    n = next(_hospital)
    defaults = {"kind": Organisation.Kind.SITE, "name": f"Hôpital de test {n}",
                "oid": f"1.2.250.1.999.77.{n}"}
    return OrganisationFactory(**{**defaults, **kwargs})


def cda_report(
    *, birth_name: str, given: str, birth_date: date, sex: str = "F", ipp: str = "", hospital_oid: str = "",
    ins: str = "", ins_oid: str = OID_INS_NIR, type_code: str = "60568-3", title: str = "",
    doc_id: str = "", set_id: str = "", version: int = 1, conclusion: str = "Carcinome canalaire infiltrant.",
    pdf: bytes | None = None, replaces: str = "", padding: int = 0, used_name: str = "",
) -> bytes:
    """A CDA R2 report. Level 3 (structured body with a conclusion section) unless `pdf` is given (level 1).
    `padding` adds that many characters of text to the body (large documents)."""
    doc_id = doc_id or str(uuid.uuid4())
    set_id = set_id or str(uuid.uuid4())
    ids = ""
    if ins:
        ids += f'<id root="{ins_oid}" extension="{ins}"/>'
    if ipp:
        ids += f'<id root="{hospital_oid}" extension="{escape(ipp)}"/>'
    used = f'<family qualifier="SP">{escape(used_name)}</family>' if used_name else ""
    related = (f'<relatedDocument typeCode="RPLC"><parentDocument><id root="{replaces}"/></parentDocument>'
               f"</relatedDocument>") if replaces else ""
    if pdf is not None:
        body = (f'<nonXMLBody><text mediaType="application/pdf" representation="B64">'
                f"{base64.b64encode(pdf).decode()}</text></nonXMLBody>")
    else:
        filler = f"<section><title>Macroscopie</title><text>{'x' * padding}</text></section>" if padding else ""
        body = (
            "<structuredBody><component><section>"
            '<code code="22634-0" codeSystem="2.16.840.1.113883.6.1"/><title>Macroscopie</title>'
            "<text>Pièce de tumorectomie de 3 cm.</text></section></component>"
            f"<component>{filler}</component>"
            '<component><section><code code="22637-3" codeSystem="2.16.840.1.113883.6.1"/>'
            f"<title>Conclusion</title><text>{escape(conclusion)}</text></section></component>"
            "</structuredBody>"
        )
    gender = {"F": "F", "M": "M"}.get(sex, "U")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ClinicalDocument xmlns="urn:hl7-org:v3">'
        '<typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>'
        f'<id root="{doc_id}"/>'
        f'<code code="{type_code}" codeSystem="2.16.840.1.113883.6.1"/>'
        f"<title>{escape(title or 'Compte rendu')}</title>"
        '<effectiveTime value="20261120101500+0100"/>'
        '<confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>'
        f'<setId root="{set_id}"/><versionNumber value="{version}"/>'
        f"<recordTarget><patientRole>{ids}<patient>"
        f'<name><family qualifier="BR">{escape(birth_name)}</family>{used}<given>{escape(given)}</given>'
        f'<given qualifier="BR">{escape(given.split()[0])}</given></name>'
        f'<administrativeGenderCode code="{gender}" codeSystem="2.16.840.1.113883.5.1"/>'
        f'<birthTime value="{birth_date:%Y%m%d}"/>'
        "</patient></patientRole></recordTarget>"
        "<author><time value=\"20261120101500+0100\"/><assignedAuthor>"
        '<id root="1.2.250.1.71.4.2.1" extension="810000000001"/>'
        "<assignedPerson><name><given>Anne</given><family>Test</family></name></assignedPerson>"
        "</assignedAuthor></author>"
        f"{related}<component>{body}</component></ClinicalDocument>"
    ).encode()
