"""The PPAC as a CDA R2 level 1 (CI-SIS Structuration minimale): the PDF/A it carries is the stored one, the
header is complete, and only a validated PPAC is exported. The ANS kit on it: tests/diffusion/test_dpi_end_to_end."""

import base64

import pytest
from django.utils import timezone
from lxml import etree

from oncodcc.careplans.models import CarePlan
from oncodcc.diffusion.xdsmeta import xds_metadata
from oncodcc.documents.cda.minimal import NotExportable, build_care_plan_pdf, document_uuid
from tests.diffusion.conftest import fiche_case  # noqa: F401 (fixture)

NS = {"h": "urn:hl7-org:v3"}
PDF = b"%PDF-1.7\n% un PDF/A de test\n%%EOF\n"
pytestmark = pytest.mark.django_db


@pytest.fixture
def ppac(fiche_case):  # noqa: F811
    fiche, doctor = fiche_case
    return CarePlan.objects.create(kind=CarePlan.Kind.PPAC, patient=fiche.patient, created_by=doctor,
                                   referring_doctor=doctor.practitioner, status=CarePlan.Status.VALIDATED,
                                   validated_at=timezone.now(), validated_by=doctor)


def test_the_ppac_carries_its_pdf_in_a_complete_header(ppac):
    root = etree.fromstring(build_care_plan_pdf(ppac, PDF))
    assert root.xpath("h:templateId/@root", namespaces=NS) == ["2.16.840.1.113883.2.8.2.1", "1.2.250.1.213.1.1.1.1"]
    assert root.xpath("h:id/@root", namespaces=NS) == [str(document_uuid(ppac)).upper()]
    assert root.xpath("h:code/@code", namespaces=NS) == ["18776-5"]
    assert root.findtext("h:title", namespaces=NS) == "Programme personnalisé de l'après-cancer"
    text = root.find("h:component/h:nonXMLBody/h:text", NS)
    assert (text.get("mediaType"), text.get("representation")) == ("application/pdf", "B64")
    assert base64.b64decode(text.text) == PDF
    assert root.xpath("h:componentOf/h:encompassingEncounter/h:location/h:healthCareFacility/h:code/@code",
                      namespaces=NS) == ["SA01"]
    meta = xds_metadata(build_care_plan_pdf(ppac, PDF), patient_ins=ppac.patient.ins_matricule,
                        patient_ins_oid=ppac.patient.ins_oid)
    assert (meta.format_code.code, meta.class_code.code, meta.facility_type.code) == (
        "urn:ihe:iti:xds-sd:pdf:2008", "44", "SA01")


def test_only_a_validated_ppac_with_a_pdf_is_exported(ppac):
    with pytest.raises(NotExportable):
        build_care_plan_pdf(ppac, b"<html>pas un PDF</html>")
    ppac.status, ppac.validated_at = CarePlan.Status.DRAFT, None
    with pytest.raises(NotExportable):
        build_care_plan_pdf(ppac, PDF)
    ppac.kind = CarePlan.Kind.PPS
    with pytest.raises(NotExportable, match="volet"):
        build_care_plan_pdf(ppac, PDF)
