"""The fiche RCP as a CDA R2 FRCP 2022.01 document, checked with the ANS validation kit (XSD + schematrons)."""

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from lxml import etree

from oncodcc.documents.cda.frcp import NotExportable, build_frcp, document_uuid
from oncodcc.patients.models import OID_INS_NIR_TEST, PatientIdentifier
from oncodcc.rcp.models import Attendance, Fiche, FurtherTest, ProposedTreatment, Tumour
from oncodcc.terminology import valuesets as vs
from tests import factories as f

NS = {"cda": "urn:hl7-org:v3", "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
REPO = Path(__file__).resolve().parents[2]
KIT = next((p for p in (REPO.parent / "shared" / "ans", Path(__file__).resolve().parents[3] / "shared" / "ans")
            if (p / "validate-cda").exists()), None)


# --- helpers -------------------------------------------------------------------------------------------------------

def validate(path: Path) -> dict:
    if KIT is None:
        pytest.skip("ANS validation kit not found (../shared/ans beside the repository): CDA not validated")
    result = subprocess.run(
        [sys.executable, str(KIT / "validate-cda"), str(path), "--volet", "FRCP", "--profiles", "--json"],
        capture_output=True, text=True, timeout=300,
    )
    if result.returncode == 2 or not result.stdout.strip():
        pytest.fail(f"validate-cda could not run: {result.stderr}")
    return json.loads(result.stdout)


def assert_valid(path: Path) -> dict:
    report = validate(path)
    errors = "\n".join(f"- {e['location']}: {e['message']}" for e in report["errors"])
    assert not report["errors"], f"{path.name}: {len(report['errors'])} error(s)\n{errors}"
    return report


def write(tmp_path: Path, name: str, fiche: Fiche) -> tuple[Path, etree._ElementTree]:
    data = build_frcp(fiche)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    path = tmp_path / f"{name}.xml"
    path.write_bytes(data)
    doc = etree.fromstring(data).getroottree()
    # Every entry points at narrative text that exists (the schematrons do not check it).
    ids = set(xp(doc, "//@ID"))
    dangling = {ref[1:] for ref in xp(doc, "//cda:reference/@value")} - ids
    assert not dangling, f"references without narrative: {sorted(dangling)}"
    return path, doc


def xp(doc, expr: str):
    return doc.xpath(expr, namespaces=NS)


def sign(fiche: Fiche, signer, *, participants=None, quorum=vs.QUORUM_REACHED) -> Fiche:
    """What the validation service freezes on the fiche (participants, quorum, signer, date)."""
    meeting = fiche.registration.meeting
    if participants is None:
        participants = [
            {"name": a.display_name, "rpps": a.practitioner.rpps if a.practitioner_id else "",
             "specialty": a.specialty or (a.practitioner.specialty if a.practitioner_id else ""),
             "is_doctor": a.is_doctor, "member": a.practitioner_id is not None}
            for a in meeting.attendances.select_related("practitioner")
        ]
    fiche.participants = participants
    fiche.quorum_status = quorum
    fiche.status = Fiche.Status.VALIDATED
    fiche.validated_at = meeting.starts_at + timedelta(hours=1)
    fiche.validated_by = signer
    fiche.signer_name = str(signer)
    fiche.save()
    return fiche


@pytest.fixture
def organ_case(db):
    """Organ board (breast), discussed case, INS + IPP + used name + GP, hospital with FINESS."""
    hospital, _board, coordinator, meeting = f.organ_board_case()
    Attendance.objects.create(meeting=meeting, guest_name="Mme Claire INVITÉE", is_doctor=False)
    gp = f.PractitionerFactory(specialty="G15_10/SM26")
    patient = f.PatientFactory(birth_name="Martin", first_birth_given_name="Jeanne",
                               birth_given_names="Jeanne Marie", used_name="Durand", used_given_name="Jeanne",
                               ins_matricule="279035121518989", ins_oid=OID_INS_NIR_TEST, gp=gp,
                               birth_date=date(1979, 3, 28))
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP123456", organisation=hospital)
    requester = f.PractitionerFactory(specialty=f.SURGERY)
    registration = f.RegistrationFactory(meeting=meeting, patient=patient, requesting_doctor=requester,
                                         presenting_doctor=coordinator.practitioner, created_by=coordinator)
    fiche = f.complete_fiche(registration, created_by=coordinator, motive_diagnostic=True, complete_file=True,
                             progression=True, progression_type="MED-247", phase=vs.PHASE_RELAPSE,
                             comments="Patiente très anxieuse.\nSouhaite être accompagnée.",
                             proposal_comment="À revoir après la chirurgie.")
    Tumour.objects.create(fiche=fiche, position=2, topography="C50.1", laterality="24028007", morphology="8520/3",
                          diagnosis_date=date(2026, 9, 20), tnm_t="cT2", tnm_n="cN1", tnm_m="cM0",
                          other_stage="SBR grade II", comment="Lésion controlatérale")
    ProposedTreatment.objects.create(fiche=fiche, sequence=1, code="C15632", is_alternative=True,
                                     detail="Chimiothérapie néoadjuvante")
    FurtherTest.objects.create(fiche=fiche, description="IRM mammaire", earliest=date(2026, 10, 1),
                               latest=date(2026, 10, 15))
    return sign(fiche, coordinator)


# --- tests ----------------------------------------------------------------------------------------------------------

def test_draft_is_not_exported(registration, member_doctor):
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    with pytest.raises(NotExportable):
        build_frcp(fiche)


def test_organ_board_discussed_case(organ_case, tmp_path):
    fiche = organ_case
    path, doc = write(tmp_path, "organ", fiche)
    assert xp(doc, "/cda:ClinicalDocument/cda:templateId[@root='1.2.250.1.213.1.1.1.8']/@extension") == ["2022.01"]
    assert xp(doc, "/cda:ClinicalDocument/cda:code/@code") == ["34794-8"]
    assert xp(doc, "/cda:ClinicalDocument/cda:setId/@root") == [str(fiche.set_id).upper()]
    assert xp(doc, "/cda:ClinicalDocument/cda:versionNumber/@value") == ["1"]
    assert xp(doc, "/cda:ClinicalDocument/cda:id/@root") == [str(document_uuid(fiche)).upper()]
    assert xp(doc, "string(/cda:ClinicalDocument/cda:title)") == "FRCP Onco Démo / 3C Démo / Sein"
    role = "/cda:ClinicalDocument/cda:recordTarget/cda:patientRole"
    assert xp(doc, f"{role}/cda:id[@root='{OID_INS_NIR_TEST}']/@extension") == ["279035121518989"]
    assert xp(doc, f"{role}/cda:id[@root='1.2.250.1.999.1']/@extension") == ["IPP123456"]
    assert xp(doc, f"string({role}/cda:patient/cda:name/cda:family[@qualifier='CL'])") == "DURAND"
    assert xp(doc, f"string({role}/cda:patient/cda:name/cda:family[@qualifier='BR'])") == "MARTIN"
    assert xp(doc, f"string({role}/cda:patient/cda:birthplace/cda:place/cda:addr/cda:county)") == "75056"
    # 3 quorum doctors (353) + 1 guest (CORRE), + RESP, REFB, PRF (presenting), INF (GP)
    assert len(xp(doc, "/cda:ClinicalDocument/cda:participant[cda:functionCode/@code='353']")) == 3
    assert len(xp(doc, "/cda:ClinicalDocument/cda:participant[cda:functionCode/@code='CORRE']")) == 1
    assert len(xp(doc, "/cda:ClinicalDocument/cda:participant")) == 8
    assert xp(doc, "/cda:ClinicalDocument/cda:participant[@typeCode='INF']/cda:associatedEntity/cda:id/@extension")
    assert xp(doc, "/cda:ClinicalDocument/cda:inFulfillmentOf/cda:order/cda:id/@root") == [
        str(fiche.registration.number).upper()]
    enc = "/cda:ClinicalDocument/cda:componentOf/cda:encompassingEncounter"
    assert xp(doc, f"{enc}/cda:id[@root='1.2.250.1.161.1.20.3.1']/@extension") == ["27011113"]
    assert xp(doc, f"{enc}/cda:id[@root='1.2.250.1.161.1.20.1.1']/@extension") == ["DSRC-DEMO"]
    assert xp(doc, "//cda:author/cda:assignedAuthor/cda:id/@extension") == [
        "8" + fiche.validated_by.practitioner.rpps]
    assert len(xp(doc, "//cda:act[cda:templateId/@root='1.2.250.1.213.1.1.3.39']")) == 2
    assert len(xp(doc, "//cda:procedure[@moodCode='INT']")) == 3
    assert xp(doc, "//cda:observation[cda:code/@code='GEN-065']/cda:value/@code") == ["9571008"]
    assert_valid(path)


@pytest.fixture
def cross_cutting_case(db):
    """Cross-cutting board (supportive care, onco-geriatrics), case only registered (with its guideline), trial
    proposed, no GP, no INS, no used name, no WHO status, surveillance + recourse referral, quorum not reached."""
    board = f.BoardFactory(name="Soins de support", nature=vs.NATURE_CROSS_CUTTING, organ_system="", organs=[],
                           care_types=["C15747", "ORG-130"], national_id="")
    hospital = f.OrganisationFactory(name="Clinique du Parc", finess="", address="")
    board.hospitals.add(hospital)
    signer = f.DoctorFactory()
    f.add_member(board, signer.practitioner)
    meeting = f.MeetingFactory(board=board, starts_at=f.past(1))
    Attendance.objects.create(meeting=meeting, practitioner=signer.practitioner, specialty=f.ONCOLOGY)
    patient = f.PatientFactory(sex="M", first_birth_given_name="Paul", birth_given_names="Paul",
                               birthplace_insee="")
    registration = f.RegistrationFactory(meeting=meeting, patient=patient, created_by=signer)
    fiche = f.complete_fiche(
        registration, created_by=signer, nature=vs.NATURE_CROSS_CUTTING, organ_system="", organs=[],
        care_types=["C15747", "ORG-130"], case_status=vs.CASE_REGISTERED, screening=False, screening_date=None,
        who_performance="", progression=None, guideline_name="Référentiel régional soins de support",
        guideline_version="2025.1", guideline_date=date(2025, 1, 15), trial_proposed=True,
        trial_detail="Essai ONCOGER-2", surveillance_only=True, recourse_referral=True,
        recourse_referral_detail="RCP régionale d'oncogériatrie", is_recourse=True, motive_recourse=True,
    )
    fiche.treatments.all().delete()
    return sign(fiche, signer, quorum=vs.QUORUM_NOT_REACHED, participants=[
        {"name": str(signer.practitioner), "rpps": signer.practitioner.rpps, "specialty": f.ONCOLOGY,
         "is_doctor": True, "member": True},
        {"name": "Mme Lucie PETIT", "rpps": "", "specialty": "", "is_doctor": False, "member": False},
    ])


def test_cross_cutting_registered_case_with_trial(cross_cutting_case, tmp_path):
    fiche = cross_cutting_case
    path, doc = write(tmp_path, "cross", fiche)
    assert xp(doc, "//cda:observation[cda:code/@code='GEN-098']/cda:value/@code") == ["ORG-132"]
    assert xp(doc, "//cda:observation[cda:code/@code='ORG-138']/cda:value/@code") == ["C15747", "ORG-130"]
    assert not xp(doc, "//cda:observation[cda:code/@code='ORG-118']")
    assert xp(doc, "//cda:observation[cda:code/@code='ORG-127']/cda:value/@code") == ["ORG-128"]
    assert xp(doc, "//cda:observation[cda:code/@code='MED-249']/cda:effectiveTime/@value") == ["20250115"]
    assert xp(doc, "//cda:observation[cda:code/@code='MED-250']/cda:value/@value") == ["true"]
    assert xp(doc, "//cda:encounter/cda:code/@code") == ["ORG-120", "MED-226"]
    assert not xp(doc, "//cda:procedure[@moodCode='INT']")
    role = "/cda:ClinicalDocument/cda:recordTarget/cda:patientRole"
    assert not xp(doc, f"{role}/cda:id[starts-with(@root, '1.2.250.1.213.1.4.')]")
    assert not xp(doc, f"{role}/cda:patient/cda:name/cda:family[@qualifier='CL']")
    assert xp(doc, f"{role}/cda:patient/cda:administrativeGenderCode/@code") == ["M"]
    assert xp(doc, "/cda:ClinicalDocument/cda:participant[@typeCode='INF']/cda:associatedEntity/@nullFlavor") == ["NA"]
    assert xp(doc, "//cda:observation[cda:code/@code='ORG-125']/cda:value/@code") == ["ORG-133"]
    enc = "/cda:ClinicalDocument/cda:componentOf/cda:encompassingEncounter"
    assert xp(doc, f"{enc}/cda:id[@root='1.2.250.1.161.1.20.3.1']/@extension") == [f"RCP-{fiche.registration.meeting.board.pk}"]
    assert not xp(doc, "//cda:section[cda:code/@code='47420-5']")
    assert_valid(path)


def test_correction_is_a_new_version_with_organ_answers(organ_case, tmp_path):
    from oncodcc.questionnaires import services as organ_forms
    from oncodcc.questionnaires.definition import parse
    from oncodcc.questionnaires.models import Questionnaire
    from oncodcc.rcp.services import fiches
    from tests.questionnaires.helpers import breast

    first = organ_case
    organ_forms.publish(parse(breast()), source="sein.json")
    form = Questionnaire.objects.get(url="urn:oncodcc:questionnaire:sein")
    coordinator = first.validated_by
    second = fiches.correct(actor=coordinator, fiche=first, reason="Erreur sur la latéralité")
    organ_forms.store(second, form, {"multifocalite": True})
    second = sign(second, coordinator)
    first.status = Fiche.Status.SUPERSEDED
    first.save()
    path, doc = write(tmp_path, "v2", second)
    _, doc1 = write(tmp_path, "v1", first)
    assert xp(doc, "/cda:ClinicalDocument/cda:versionNumber/@value") == ["2"]
    assert xp(doc, "/cda:ClinicalDocument/cda:setId/@root") == xp(doc1, "/cda:ClinicalDocument/cda:setId/@root")
    assert xp(doc, "/cda:ClinicalDocument/cda:id/@root") != xp(doc1, "/cda:ClinicalDocument/cda:id/@root")
    assert build_frcp(second) == path.read_bytes()  # deterministic
    comments = etree.tostring(xp(doc, "//cda:section[cda:code/@code='55112-7']")[0], encoding="unicode")
    assert "Formulaire d'organe" in comments and "Oui" in comments
    assert "Erreur sur la latéralité" in etree.tostring(
        xp(doc, "//cda:section[cda:code/@code='33557-0']")[0], encoding="unicode")
    assert_valid(path)


def test_a_haemopathy_without_tnm_passes_the_kit(organ_case, tmp_path):
    """Lymphoma, myeloma: no TNM. The FRCP volet still requires the TNM entries: sent as not applicable (NA); a
    partial TNM sends the missing parts as unknown (UNK)."""
    fiche = organ_case
    tumours = list(fiche.tumours.order_by("position"))
    Tumour.objects.filter(pk=tumours[0].pk).update(topography="C90.0", morphology="9732/3", tnm_t="", tnm_n="",
                                                   tnm_m="", tnm_edition="")
    if len(tumours) > 1:
        Tumour.objects.filter(pk=tumours[1].pk).update(tnm_n="", tnm_m="")
    path, doc = write(tmp_path, "haemopathy", fiche)
    stage = "//cda:observation[cda:code/@code='75620-5']"
    assert xp(doc, f"{stage}[1]/cda:value/@nullFlavor") == ["NA"]
    assert xp(doc, f"{stage}[1]//cda:observation[cda:code/@code='21905-5']/cda:value/@nullFlavor") == ["NA"]
    if len(tumours) > 1:
        assert xp(doc, f"({stage})[2]//cda:observation[cda:code/@code='21906-3']/cda:value/@nullFlavor") == ["UNK"]
    assert_valid(path)
