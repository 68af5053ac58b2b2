"""The care plan (PPS) as a CDA R2 PPS 2022.01 document, checked with the ANS validation kit (XSD + PPS schematron
+ ANS profile)."""

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from lxml import etree

from oncodcc.careplans import services
from oncodcc.careplans.models import CarePlan, Contact
from oncodcc.careplans.services import CarePlanInput
from oncodcc.documents.cda.frcp import document_uuid as frcp_uuid
from oncodcc.documents.cda.pps import NotExportable, build_pps, document_uuid
from oncodcc.patients.models import OID_INS_NIR_TEST, PatientIdentifier
from oncodcc.rcp.models import Fiche
from tests import factories as f

NS = {"cda": "urn:hl7-org:v3", "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
REPO = Path(__file__).resolve().parents[2]
KIT = next((p for p in (REPO.parent / "shared" / "ans", Path(__file__).resolve().parents[3] / "shared" / "ans")
            if (p / "validate-cda").exists()), None)


def xp(doc, expr: str):
    return doc.xpath(expr, namespaces=NS)


def write(tmp_path: Path, name: str, plan: CarePlan) -> tuple[Path, etree._ElementTree]:
    data = build_pps(plan)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    path = tmp_path / f"{name}.xml"
    path.write_bytes(data)
    doc = etree.fromstring(data).getroottree()
    ids = xp(doc, "//@ID")
    assert len(ids) == len(set(ids)), "duplicate narrative IDs"
    dangling = {ref[1:] for ref in xp(doc, "//cda:reference/@value")} - set(ids)
    assert not dangling, f"references without narrative: {sorted(dangling)}"
    for section in xp(doc, "//cda:section"):
        assert "".join(section.find("{urn:hl7-org:v3}text").itertext()).strip(), "section without narrative"
    return path, doc


def assert_all_valid(paths: list[Path]) -> None:
    """The validator takes one file per run: one subprocess per document (the compiled schematrons are cached)."""
    if KIT is None:
        pytest.skip("ANS validation kit not found (../shared/ans beside the repository): CDA not validated")
    failures = []
    for path in paths:
        result = subprocess.run(
            [sys.executable, str(KIT / "validate-cda"), str(path), "--volet", "PPS", "--profiles", "--json"],
            capture_output=True, text=True, timeout=300,
        )
        if result.returncode == 2 or not result.stdout.strip():
            pytest.fail(f"validate-cda could not run on {path.name}: {result.stderr}")
        report = json.loads(result.stdout)
        for e in report["errors"]:
            failures.append(f"{path.name}: {e['schematron']} {e['location']}: {e['message']}")
    assert not failures, f"{len(failures)} error(s)\n" + "\n".join(failures)


@pytest.fixture
def case(db):
    """A validated fiche of an organ board (hospital with FINESS, DSRC, 3C), patient with INS + IPP."""
    hospital = f.OrganisationFactory(name="CHU de Démo", finess="750712184", oid="1.2.250.1.999.1",
                                     address="1 rue de la Santé 75014 Paris", phone="01 40 00 00 00")
    board = f.BoardFactory(name="Sein", national_id="27011113")
    board.managing_3c.short_name = "3C Démo"
    board.managing_3c.phone = "01 40 00 00 10"
    board.managing_3c.address = "2 place du 3C 75014 Paris"
    board.managing_3c.save()
    board.hospitals.add(hospital)
    doctor = f.DoctorFactory(role="coordinator")
    doctor.practitioner.organisations.add(hospital)
    f.add_member(board, doctor.practitioner, coordinator=True)
    meeting = f.MeetingFactory(board=board, starts_at=f.past(10), location=hospital)
    f.give_quorum(meeting)
    patient = f.PatientFactory(birth_name="Martin", first_birth_given_name="Jeanne", birth_given_names="Jeanne Marie",
                               ins_matricule="279035121518989", ins_oid=OID_INS_NIR_TEST, birth_date=date(1979, 3, 28))
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP123456", organisation=hospital)
    registration = f.RegistrationFactory(meeting=meeting, patient=patient, requesting_doctor=doctor.practitioner,
                                         presenting_doctor=doctor.practitioner, created_by=doctor)
    fiche = f.complete_fiche(registration, created_by=doctor)
    fiche.status = Fiche.Status.VALIDATED
    fiche.validated_at = meeting.starts_at + timedelta(hours=1)
    fiche.validated_by = doctor
    fiche.participants = [{"name": "Dr Test", "rpps": "", "specialty": f.ONCOLOGY, "is_doctor": True}]
    fiche.quorum_status = "ORG-126"
    fiche.save()
    return fiche, doctor


def make_plan(fiche, doctor, *, data: CarePlanInput | None = None, hand_over=True) -> CarePlan:
    plan = services.create_from_fiche(actor=doctor, fiche=fiche, referring_doctor=doctor.practitioner)
    if data is not None:
        plan = services.update(actor=doctor, plan=plan, expected_version=plan.lock_version, data=data)
    plan = services.validate(actor=doctor, plan=plan)
    if hand_over:
        plan = services.hand_over(actor=doctor, plan=plan, date=timezone.localdate() - timedelta(days=2),
                                  by=doctor.practitioner)
    return plan


def test_draft_and_ppac_are_not_exported(case):
    fiche, doctor = case
    plan = services.create_from_fiche(actor=doctor, fiche=fiche, referring_doctor=doctor.practitioner)
    with pytest.raises(NotExportable):
        build_pps(plan)
    ppac = CarePlan.objects.create(kind=CarePlan.Kind.PPAC, patient=fiche.patient, created_by=doctor,
                                   status=CarePlan.Status.VALIDATED, validated_at=timezone.now())
    with pytest.raises(NotExportable):
        build_pps(ppac)


def test_pps_documents_pass_the_ans_kit(case, tmp_path):
    fiche, doctor = case
    paths = []

    # 1. Minimal: no GP, treatments pre-filled from the fiche, no supportive care, not yet handed over.
    plan1 = make_plan(fiche, doctor, hand_over=False)
    path, doc = write(tmp_path, "minimal-sans-medecin-traitant", plan1)
    paths.append(path)
    root = "/cda:ClinicalDocument"
    assert xp(doc, f"{root}/cda:templateId[@root='1.2.250.1.213.1.1.1.26']/@extension") == ["2022.01"]
    assert xp(doc, f"{root}/cda:code/@code") == ["18776-5"]
    assert xp(doc, f"{root}/cda:id/@root") == [str(document_uuid(plan1)).upper()]
    assert xp(doc, f"{root}/cda:setId/@root") == [str(plan1.set_id).upper()]
    assert xp(doc, f"{root}/cda:participant[@typeCode='INF']/cda:functionCode[@code='PCP']/../"
                   "cda:associatedEntity/@nullFlavor") == ["NA"]
    assert len(xp(doc, f"{root}/cda:participant/cda:functionCode/cda:translation[@code='ORG-190']")) == 1
    assert xp(doc, f"{root}/cda:participant/cda:functionCode/cda:translation[@code='ORG-191']")
    assert xp(doc, "//cda:procedure[cda:code/@code='MED-568']/cda:code/cda:qualifier/cda:value/@code") == [
        "C15313", "C15445"]
    assert xp(doc, "//cda:observation[cda:code/@code='GEN-178']/cda:value/@nullFlavor") == ["NAV"]
    assert xp(doc, "//cda:externalDocument/cda:id/@root") == [str(frcp_uuid(fiche)).upper()]
    titles = xp(doc, "//cda:section/cda:title/text()")
    assert "PROGRAMME THÉRAPEUTIQUE ET DE SUIVI" in titles
    assert "INFORMATION SUR LES DONNÉES PERSONNELLES VOUS CONCERNANT" in titles

    # 2. Rich: GP, several treatments incl. home treatment, supportive care, socio-professional support, follow-up,
    #    side-effect prevention, associated measures, contacts, patient comment; handed over; then version 2 with a
    #    reason and the stop of all active treatments.
    gp = f.PractitionerFactory(specialty="G15_10/SM26", phone="01 45 00 00 00")
    fiche.patient.gp = gp
    fiche.patient.save()
    plan1.status = CarePlan.Status.SUPERSEDED  # a new PPS for the same fiche (test shortcut)
    plan1.save()
    fiche2 = Fiche.objects.get(pk=fiche.pk)
    CarePlan.objects.filter(pk=plan1.pk).update(fiche=None)
    rich = CarePlanInput(
        fields={
            "supportive_care": ["ORG-035", "ORG-036", "MED-562"], "supportive_care_comment": "Consultation douleur",
            "socio_support": ["PAT-024", "PAT-027"], "socio_support_comment": "Assistante sociale du CHU",
            "follow_up": ["MED-092", "11429006"], "follow_up_text": "Mammographie annuelle",
            "side_effect_prevention": ["C20427"], "associated_measures": ["MED-555"],
            "associated_measures_comment": "Contraception non hormonale", "comment": "Patiente anxieuse.",
        },
        treatments=[
            {"code": "387713003", "start_date": date(2026, 11, 2), "place": "CHU de Démo",
             "comment": "Tumorectomie"},
            {"code": "C15313", "start_date": date(2026, 12, 1), "end_date": date(2027, 1, 10),
             "rhythm": "5 séances par semaine", "side_effects": "Radiodermite"},
            {"code": "C15445", "start_date": date(2027, 1, 15), "at_home": True, "administration": "Per os",
             "rhythm": "1 comprimé par jour pendant 5 ans"},
        ],
        contacts=[
            {"role": Contact.Role.CCC, "name": "3C Démo", "phone": "01 40 00 00 10"},
            {"role": Contact.Role.GP, "name": str(gp), "practitioner": gp.pk},
            {"role": Contact.Role.NURSE, "name": "Mme Claire INFIRMIÈRE", "phone": "06 00 00 00 00",
             "email": "claire@example.org"},
            {"role": Contact.Role.COORDINATION, "name": "Maison de santé de Démo"},
            {"role": Contact.Role.STRUCTURE, "structure": "609", "name": "MDPH de Démo"},
            {"role": Contact.Role.STRUCTURE, "structure": "ORG-062", "name": "Ligue contre le cancer"},
            {"role": Contact.Role.REFERENCE_HOSPITAL, "name": "CHU de Démo",
             "organisation": fiche.registration.meeting.location_id},
        ],
    )
    plan = make_plan(fiche2, doctor, data=rich)
    path, doc = write(tmp_path, "complet", plan)
    paths.append(path)
    assert xp(doc, f"{root}/cda:participant[@typeCode='INF']/cda:functionCode[@code='PCP']/../"
                   "cda:associatedEntity/cda:id/@extension") == [f"8{gp.rpps}"]
    assert len(xp(doc, "//cda:procedure[cda:code/@code='MED-568']")) == 3
    assert xp(doc, "//cda:procedure[cda:code/cda:qualifier/cda:value/@code='C15445']"
                   "//cda:observation[cda:code/@code='ORG-004']/cda:value/@value") == ["true"]
    assert len(xp(doc, "//cda:procedure[cda:code/@code='MED-572']")) == 3
    assert len(xp(doc, "//cda:procedure[cda:code/@code='MED-573']")) == 2
    assert xp(doc, "//cda:observation[cda:code/@code='GEN-178']/cda:performer")
    assert xp(doc, f"{root}/cda:participant/cda:functionCode/cda:translation[@code='ORG-180']")

    v2 = services.new_version(actor=doctor, plan=plan, reason_code="MED-104",
                              reason_text="La patiente refuse l'hormonothérapie")
    v2 = services.update(actor=doctor, plan=v2, expected_version=v2.lock_version, data=CarePlanInput(
        fields={"all_treatments_stopped": True, "treatments_stopped_on": timezone.localdate()}, treatments=[]))
    v2 = services.validate(actor=doctor, plan=v2)
    v2 = services.hand_over(actor=doctor, plan=v2, date=timezone.localdate(), by=doctor.practitioner)
    path, doc = write(tmp_path, "version-2-arret", v2)
    paths.append(path)
    assert xp(doc, f"{root}/cda:versionNumber/@value") == ["2"]
    assert xp(doc, f"{root}/cda:setId/@root") == [str(plan.set_id).upper()]
    assert xp(doc, "//cda:observation[cda:code/@code='GEN-037']/cda:value/@code") == ["MED-104"]
    assert xp(doc, "//cda:observation[cda:code/@code='MED-052']/cda:value/@value") == ["true"]
    assert not xp(doc, "//cda:procedure[cda:code/@code='MED-568']")
    assert xp(doc, "//cda:externalDocument/cda:id/@root") == [str(frcp_uuid(fiche)).upper(),
                                                             str(document_uuid(plan)).upper()]

    assert_all_valid(paths)
