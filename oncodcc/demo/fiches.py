"""The clinical content of the demo: case summaries and validated fiches RCP (national data set complete)."""

from __future__ import annotations

import random
import re
import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from oncodcc.rcp.models import PARIS, Fiche, FurtherTest, Meeting, ProposedTreatment, Registration, Tumour
from oncodcc.terminology import valuesets as vs

from . import catalogue as cat

if TYPE_CHECKING:
    from .activity import Case
    from .region import Region

WHO_CODES = ["MED-240", "MED-264", "MED-265", "MED-266", "MED-267"]
RIGHT, LEFT = "24028007", "7771000"
DISCOVERY = ["Découverte devant des symptômes cliniques", "Découverte fortuite à l'imagerie",
             "Découverte lors d'un bilan de symptômes persistants"]


def _morpho_words(code: str) -> str:
    label = vs.display(vs.MORPHOLOGY, code).split(" (")[0].replace(", SAI", "")
    return label[0].lower() + label[1:]


# Breast cancer biology of the demo's cases: mostly hormone-sensitive HER2-negative, as in real boards, with the
# HER2-positive, HER2-low and triple-negative cases a search ("HER2 positif") or a trial pre-screening looks for.
# Chosen from the case's own number so that adding it drew nothing from the demo's random sequence.
BREAST_BIOLOGY = (
    "RE 90 %, RP 60 %, HER2 négatif, Ki67 15 %",
    "RE 90 %, RP 60 %, HER2 négatif, Ki67 15 %",
    "RE 0 %, RP 0 %, HER2 positif (score 3+), Ki67 40 %",
    "RE 80 %, RP 30 %, HER2 négatif, Ki67 10 %",
    "RE 80 %, RP 20 %, HER2 faible (score 2+, FISH non amplifiée), Ki67 25 %",
    "RE 90 %, RP 60 %, HER2 négatif, Ki67 15 %",
    "RE 0 %, RP 0 %, HER2 négatif (triple négatif), Ki67 60 %",
    "RE 95 %, RP 10 %, HER2 positif (score 3+), Ki67 30 %",
)


def summary(case: Case, step: int, meeting: Meeting, rng: random.Random) -> str:
    """The case summary of a registration, from the step's template and the patient's story."""
    template = case.steps[min(step, len(case.steps) - 1)]
    local = timezone.localtime(meeting.starts_at, PARIS).date()
    p = case.patient
    age = local.year - p.birth_date.year - ((local.month, local.day) < (p.birth_date.month, p.birth_date.day))
    pathological = template.pathological
    tnm = " ".join(case.tnm_p if pathological else case.tnm_c)
    stage = case.other_stage or f"classé {' '.join(case.tnm_c)}"
    text = template.summary.format(
        patient=f"{'Patiente' if p.sex == 'F' else 'Patient'} de {age} ans",
        who=f"état général OMS {min(case.who, 4)}", discovery="Découverte lors du dépistage organisé"
        if case.screening else rng.choice(DISCOVERY), site=case.kind.site,
        side={RIGHT: "droit", LEFT: "gauche"}.get(case.laterality, ""), size=case.size,
        morpho=_morpho_words(case.morphology), stage=stage, tnm=case.other_stage or tnm,
        breast_biology=BREAST_BIOLOGY[case.patient.birth_date.toordinal() % len(BREAST_BIOLOGY)],
    )
    text = " ".join(text.split()).replace(" .", ".").replace(" ,", ",")
    return re.sub(r"(^|\. )(\w)", lambda m: m.group(1) + m.group(2).upper(), text)


def write_fiches(registrations: list[tuple[Registration, Case, int]], participants: dict[int, list[dict]], *,
                 rng: random.Random, region: Region, stats) -> list[Fiche]:
    """A validated fiche RCP (national data set complete) for each registration of a past meeting."""
    fiches, tumours, treatments, tests = [], [], [], []
    for registration, case, step_index in registrations:
        step = case.steps[min(step_index, len(case.steps) - 1)]
        meeting = registration.meeting
        board, spec = case.board, case.spec
        options = [p for p in step.proposals if not p.only or case.kind.topography.startswith(p.only)]
        options = options or list(step.proposals)
        proposal = rng.choices(options, weights=[p.weight for p in options])[0]
        registered_only = step_index > 0 and rng.random() < 0.06
        guideline = registered_only or rng.random() < 0.6
        trial = not registered_only and rng.random() < 0.07
        coordinator = region.coordinators[board.pk]
        validated_at = meeting.starts_at + timedelta(minutes=rng.randint(20, meeting.duration_minutes + 60))
        relapse = step.phase == vs.PHASE_RELAPSE
        fiche = Fiche(
            registration=registration, patient=case.patient, set_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            version_number=1, status=Fiche.Status.VALIDATED, lock_version=2,
            nature=board.nature, organ_system=board.organ_system, organs=list(board.organs),
            care_types=list(board.care_types), is_recourse=board.is_recourse, is_paediatric=board.is_paediatric,
            motive_diagnostic=step.motive_diagnostic, motive_treatment=True,
            case_status=vs.CASE_REGISTERED if registered_only else vs.CASE_DISCUSSED,
            screening=case.screening,
            screening_date=case.diagnosis_date - timedelta(days=rng.randint(10, 30)) if case.screening else None,
            who_performance=WHO_CODES[min(case.who, 4)], phase=step.phase, progression=relapse,
            progression_type="MED-248" if relapse else "",
            case_summary=registration.case_summary, question=registration.question, complete_file=True,
            quorum_status=vs.QUORUM_REACHED, surveillance_only=proposal.surveillance,
            proposal_comment=proposal.comment,
            guideline_name=spec.guideline if guideline else "", guideline_version="2025" if guideline else "",
            guideline_date=date(2025, 1, 15) if guideline else None,
            trial_proposed=trial, trial_detail=rng.choice(cat.TRIALS) if trial else "",
            participants=participants[meeting.pk], validated_at=validated_at, validated_by=coordinator,
            signer_name=str(coordinator), created_by=registration.created_by,
            created_at=meeting.starts_at - timedelta(days=1), updated_at=validated_at,
        )
        fiches.append(fiche)
        stats.registered_only += registered_only
        pathological = step.pathological
        t, n, m = case.tnm_p if pathological else case.tnm_c
        tumours.append(Tumour(
            fiche=fiche, position=1, topography=case.kind.topography, laterality=case.laterality,
            morphology=case.morphology, diagnosis_date=case.diagnosis_date,
            tnm_t="" if case.other_stage else t, tnm_n="" if case.other_stage else n,
            tnm_m="" if case.other_stage else m,
            tnm_edition="" if case.other_stage else "TNM UICC 8e édition", other_stage=case.other_stage,
        ))
        for sequence, (code, detail) in enumerate(proposal.treatments, start=1):
            treatments.append(ProposedTreatment(fiche=fiche, sequence=sequence, code=code, detail=detail))
        if proposal.alternative:
            code, detail = proposal.alternative
            treatments.append(ProposedTreatment(fiche=fiche, sequence=len(proposal.treatments) + 1, code=code,
                                                detail=detail, is_alternative=True))
        if proposal.further_test:
            day = timezone.localtime(meeting.starts_at, PARIS).date()
            tests.append(FurtherTest(fiche=fiche, description=proposal.further_test,
                                     earliest=day + timedelta(days=7), latest=day + timedelta(days=28)))
    Fiche.objects.bulk_create(fiches, batch_size=500)
    Fiche.objects.bulk_update(fiches, ["created_at", "updated_at"], batch_size=500)
    Tumour.objects.bulk_create(tumours, batch_size=500)
    ProposedTreatment.objects.bulk_create(treatments, batch_size=500)
    FurtherTest.objects.bulk_create(tests, batch_size=500)
    # A registration follows its fiche (rcp.services.fiches): these past cases were discussed.
    discussed = [r.pk for r, _, _ in registrations]
    for start in range(0, len(discussed), 500):
        Registration.objects.filter(pk__in=discussed[start:start + 500]).update(status=Registration.Status.DISCUSSED)
    stats.fiches = len(fiches)
    return fiches
