"""Real FRCP and PPS documents (built by oncodcc.documents.cda from factory data) as the outbox hands them to a
channel, and the ANS validation kit."""

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from oncodcc.careplans import services as plans
from oncodcc.diffusion.channels import OutgoingDocument
from oncodcc.documents.cda.frcp import build_frcp, document_uuid
from oncodcc.documents.cda.pps import build_pps
from oncodcc.documents.cda.pps import document_uuid as pps_uuid
from oncodcc.patients.models import OID_INS_NIR_TEST, PatientIdentifier
from oncodcc.rcp.models import Fiche
from tests import factories as f

REPO = Path(__file__).resolve().parents[2]
KIT = next((p for p in (REPO.parent / "shared" / "ans", REPO.parents[1] / "shared" / "ans")
            if (p / "validate-cda").exists()), None)
INS = "279035121518989"
PDF = b"%PDF-1.7\n% fiche RCP de test\n%%EOF\n"


def assert_valid_cda(data: bytes, volet: str | None, tmp_path: Path) -> None:
    """The ANS kit (XSD, the volet's schematron, the ANS profile) finds no error in the document. `volet` None: a
    "Structuration minimale" document (level 1: the XSD and the ANS profile)."""
    if KIT is None:
        pytest.skip("ANS validation kit not found (../shared/ans beside the repository): CDA not validated")
    path = tmp_path / f"sent-{volet or 'niveau1'}.xml"
    path.write_bytes(data)
    result = subprocess.run(
        [sys.executable, str(KIT / "validate-cda"), str(path), *(["--volet", volet] if volet else []), "--profiles",
         "--json"],
        capture_output=True, text=True, timeout=300,
    )
    if result.returncode == 2 or not result.stdout.strip():
        pytest.fail(f"validate-cda could not run: {result.stderr}")
    errors = json.loads(result.stdout)["errors"]
    assert not errors, "\n".join(f"- {e['location']}: {e['message']}" for e in errors)


@pytest.fixture
def fiche_case(db):
    """A validated fiche of an organ board (hospital with FINESS, 3C), patient with a test INS and an IPP."""
    hospital, _board, doctor, meeting = f.organ_board_case(days_ago=10)
    patient = f.PatientFactory(birth_name="Martin", first_birth_given_name="Jeanne", birth_given_names="Jeanne Marie",
                               ins_matricule=INS, ins_oid=OID_INS_NIR_TEST, birth_date=date(1979, 3, 28))
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


def outgoing(cda: bytes, *, kind: str, type_code: str, title: str, set_id: str, version: int = 1,
             action: str = "new", qualified: bool = True, replaced: str = "", pdf: bytes | None = PDF,
             ins: str = INS) -> OutgoingDocument:
    return OutgoingDocument(
        document_id=1, set_id=set_id, version_number=version, kind=kind, type_code=type_code, title=title,
        action=action, cda=cda, pdf=pdf, patient_ins=ins, patient_ins_oid=OID_INS_NIR_TEST if ins else "",
        patient_ins_qualified=qualified, replaced_document_id=replaced,
    )


@pytest.fixture
def frcp(fiche_case) -> OutgoingDocument:
    fiche, _ = fiche_case
    return outgoing(build_frcp(fiche), kind="frcp", type_code="34794-8", title="Fiche RCP",
                    set_id=str(fiche.set_id).upper())


@pytest.fixture
def frcp_v2(fiche_case) -> OutgoingDocument:
    """The second version of the same fiche (a correction), replacing the first."""
    fiche, _ = fiche_case
    first = str(document_uuid(fiche)).upper()
    fiche.version_number = 2
    fiche.save()
    return outgoing(build_frcp(fiche), kind="frcp", type_code="34794-8", title="Fiche RCP",
                    set_id=str(fiche.set_id).upper(), version=2, action="replace", replaced=first)


@pytest.fixture
def pps(fiche_case) -> OutgoingDocument:
    fiche, doctor = fiche_case
    plan = plans.create_from_fiche(actor=doctor, fiche=fiche, referring_doctor=doctor.practitioner)
    plan = plans.validate(actor=doctor, plan=plan)
    plan = plans.hand_over(actor=doctor, plan=plan, date=timezone.localdate() - timedelta(days=2),
                           by=doctor.practitioner)
    assert pps_uuid(plan)
    return outgoing(build_pps(plan), kind="pps", type_code="18776-5", title="Programme personnalisé de soins",
                    set_id=str(plan.set_id).upper())
