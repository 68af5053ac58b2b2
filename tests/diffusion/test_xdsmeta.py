"""The XDS metadata derived from the CDA header of a real FRCP and PPS (CI-SIS annex CDA header → XDS)."""

import hashlib

import pytest
from lxml import etree

from oncodcc.diffusion import ebrim
from oncodcc.diffusion.xdsmeta import MetadataError, entry_uuid, utc_ts, xds_metadata

from .conftest import INS

H = {"h": "urn:hl7-org:v3"}


def header(cda: bytes, path: str) -> list[str]:
    return etree.fromstring(cda).xpath(path, namespaces=H)


def test_utc_ts_converts_the_offset_and_keeps_a_date():
    assert utc_ts("20261002140000+0200") == "20261002120000"
    assert utc_ts("20260101000000+0100") == "20251231230000"
    assert utc_ts("19790328") == "19790328"
    assert utc_ts("") == ""


def test_frcp_metadata_follow_the_header(frcp):
    meta = xds_metadata(frcp.cda)
    doc_id = header(frcp.cda, "/h:ClinicalDocument/h:id/@root")[0]
    assert meta.unique_id == doc_id
    assert meta.entry_uuid == entry_uuid(doc_id) and meta.entry_uuid.startswith("urn:uuid:")
    assert meta.patient_id == f"{INS}^^^&1.2.250.1.213.1.4.10&ISO"
    assert meta.source_patient_id == meta.patient_id
    assert meta.source_patient_info[0] == "PID-5|MARTIN^Jeanne^^^^^L"
    assert "PID-7|19790328" in meta.source_patient_info
    assert any(v in meta.source_patient_info for v in ("PID-8|F", "PID-8|M", "PID-8|U"))
    assert meta.type_code.code == "34794-8" and meta.type_code.scheme == "2.16.840.1.113883.6.1"
    assert (meta.class_code.code, meta.class_code.scheme) == ("10", "1.2.250.1.213.1.1.4.1")
    assert meta.format_code.code == "urn:asip:ci-sis:frcp:2011"
    assert meta.format_code.scheme == "1.2.250.1.213.1.1.4.2.282"
    assert meta.practice_setting.code == "ETABLISSEMENT"
    assert meta.facility_type.code == "SA01" and meta.facility_type.scheme == "1.2.250.1.71.4.2.4"
    assert [c.code for c in meta.confidentiality] == ["N"]
    assert "39" in [c.code for c in meta.event_codes]
    assert meta.creation_time == utc_ts(header(frcp.cda, "/h:ClinicalDocument/h:effectiveTime/@value")[0])
    assert len(meta.creation_time) == 14
    low = header(frcp.cda, "//h:documentationOf/h:serviceEvent/h:effectiveTime/h:low/@value")[0]
    assert meta.service_start == utc_ts(low)
    assert meta.language_code == "fr-FR"
    assert meta.hash == hashlib.sha1(frcp.cda).hexdigest() and meta.size == len(frcp.cda)  # noqa: S324
    assert meta.title == header(frcp.cda, "string(/h:ClinicalDocument/h:title)")
    rpps = header(frcp.cda, "/h:ClinicalDocument/h:author/h:assignedAuthor/h:id/@extension")
    if rpps:
        assert meta.author_person.startswith(f"{rpps[0]}^") and meta.author_person.endswith("&1.2.250.1.71.4.2.1&ISO"
                                                                                          "^D^^^IDNPS")
    assert meta.author_institution == "CHU de Démo^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750712184"
    assert meta.submission_unique_id.startswith("2.25.")
    assert meta.replaces_entry_uuid == ""


def test_pps_metadata(pps):
    meta = xds_metadata(pps.cda)
    assert meta.format_code.code == "urn:asip:ci-sis:pps-cancer:2017"
    assert (meta.class_code.code, meta.type_code.code) == ("44", "18776-5")


def test_replacement_points_at_the_entry_of_the_replaced_version(frcp_v2):
    meta = xds_metadata(frcp_v2.cda, replaced_document_id=frcp_v2.replaced_document_id, action="replace")
    assert meta.version == 2
    assert meta.replaces_entry_uuid == entry_uuid(frcp_v2.replaced_document_id)
    request = ebrim.submit_objects(meta)
    rplc = request.xpath("//rim:Association[@associationType=$t]", namespaces=ebrim.NSMAP, t=ebrim.RPLC)
    assert rplc[0].get("targetObject") == meta.replaces_entry_uuid and rplc[0].get("sourceObject") == meta.entry_uuid


def test_ins_of_the_document_must_match_the_patient(frcp):
    with pytest.raises(MetadataError, match="INS"):
        xds_metadata(frcp.cda, patient_ins="180017505600103", patient_ins_oid="1.2.250.1.213.1.4.10")
    with pytest.raises(MetadataError):
        xds_metadata(b"<notcda/>")
