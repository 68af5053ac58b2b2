"""A realistic validated fiche RCP (synthetic data) for the PDF benchmark and screenshots: quorum, two
treatments and an alternative, further test, tumour, organ form answers, a case summary long enough for 2 pages."""

from datetime import date, timedelta

from django.utils import timezone

SUMMARY = (
    "Patiente de 54 ans, ménopausée, sans antécédent familial notable. Nodule du sein gauche découvert lors du "
    "dépistage organisé (mammographie du 1er septembre : ACR 5). Échographie : lésion de 18 mm du quadrant "
    "supéro-externe, creux axillaire sans adénopathie suspecte. Microbiopsie : carcinome canalaire infiltrant de "
    "grade II, RE 90 %, RP 60 %, HER2 score 1+, Ki-67 à 15 %.\n\n"
    "Tumorectomie avec technique du ganglion sentinelle le 15 septembre : pT1c (18 mm), marges saines (≥ 2 mm), "
    "0/2 ganglion sentinelle (pN0(sn)), absence d'emboles. Bilan d'extension non indiqué. État général conservé "
    "(OMS 1), IMC 27, hypertension artérielle traitée, pas de contre-indication à la radiothérapie.\n\n"
)

LOGO_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" viewBox="0 0 120 60">'
    b'<rect width="120" height="60" rx="8" fill="#123c69"/><circle cx="30" cy="30" r="16" fill="#f2a900"/>'
    b'<text x="54" y="38" font-family="DejaVu Sans" font-size="20" font-weight="bold" fill="#fff">CHRU</text></svg>'
)


def build(*, summary_repeats: int = 2, logo: bool = True):
    """Create the data in the current (test) database and return the validated fiche."""
    from oncodcc.documents.models import DocumentHeader
    from oncodcc.questionnaires import services as organ_forms
    from oncodcc.questionnaires.definition import parse
    from oncodcc.rcp.models import Meeting
    from oncodcc.rcp.services import fiches
    from oncodcc.rcp.services.fiches import FicheInput
    from tests import factories as f
    from tests.questionnaires.helpers import breast

    if not organ_forms.Questionnaire.objects.filter(url="urn:oncodcc:questionnaire:sein").exists():
        organ_forms.publish(parse(breast()), source="sein.json")
    board = f.BoardFactory(name="RCP Sénologie", managing_3c__name="3C Touraine — Val de Loire")
    hospital = f.OrganisationFactory(name="Centre hospitalier régional universitaire de Tours", finess="370000481",
                                     address="2 boulevard Tonnellé\n37044 Tours Cedex 9", phone="02 47 47 47 47")
    board.hospitals.add(hospital)
    DocumentHeader.objects.create(
        organisation=hospital, display_name="CHRU de Tours — Centre de cancérologie Henry-S.-Kaplan",
        free_text="Secrétariat des RCP : 02 47 47 00 00 — rcp.cancero@chu-tours.example (messagerie sécurisée)",
        logo=LOGO_SVG if logo else None, logo_content_type="image/svg+xml" if logo else "",
    )
    coordinator = f.DoctorFactory(role="coordinator", practitioner__last_name="Lefèvre",
                                  practitioner__first_name="Hélène")
    f.add_member(board, coordinator.practitioner, coordinator=True)
    meeting = f.MeetingFactory(board=board, starts_at=timezone.now() - timedelta(hours=1),
                               status=Meeting.Status.OPEN)
    f.give_quorum(meeting, specialties=(f.ONCOLOGY, f.RADIOTHERAPY, f.PATHOLOGY, f.SURGERY, f.RADIOLOGY))
    patient = f.PatientFactory(birth_name="Lœwenbrück-D'Arçÿ", first_birth_given_name="Maëlys",
                               birth_date=date(1972, 3, 14))
    registration = f.RegistrationFactory(meeting=meeting, patient=patient, created_by=coordinator,
                                         requesting_doctor=coordinator.practitioner,
                                         presenting_doctor=coordinator.practitioner)
    draft = fiches.start(actor=coordinator, registration=registration)
    S = "urn:oncodcc:codesystem:sein"
    fiches.save(actor=coordinator, fiche=draft, expected_version=draft.lock_version,
                data=FicheInput(fields={}, organ_answers={"her2_ihc": f"{S}|1+", "her2_statut": f"{S}|negatif",
                                                          "ki67": "15", "stade_ajcc": f"{S}|IA"}))
    draft.refresh_from_db()
    return _fill(draft, coordinator, summary_repeats)


def _fill(fiche, coordinator, summary_repeats: int):
    from oncodcc.rcp.models import Fiche, FurtherTest, ProposedTreatment, Tumour
    from oncodcc.rcp.services import fiches
    from oncodcc.terminology import valuesets as vs

    Fiche.objects.filter(pk=fiche.pk).update(
        nature=vs.NATURE_ORGAN, organ_system="76752008", organs=["76752008"], motive_treatment=True,
        case_status=vs.CASE_DISCUSSED, screening=True, screening_date=date(2026, 9, 1), who_performance="MED-264",
        phase=vs.PHASE_INITIAL, progression=False, complete_file=True,
        case_summary=SUMMARY * summary_repeats,
        question="Quel traitement adjuvant proposer après tumorectomie et ganglion sentinelle négatif ?",
        guideline_name="Référentiel régional cancers du sein (OncoCentre)", guideline_version="2025",
        guideline_date=date(2025, 1, 15), trial_proposed=True, trial_detail="Essai NATALEE-2 (si éligible)",
        proposal_comment="Consultation d'annonce à programmer avec l'oncologue référent.",
        comments="Patiente très anxieuse ; souhaite être accompagnée par sa fille lors des consultations.",
    )
    fiche.refresh_from_db()
    Tumour.objects.create(fiche=fiche, topography="C50.4", laterality="7771000", morphology="8500/3",
                          diagnosis_date=date(2026, 9, 15), tnm_t="pT1c", tnm_n="pN0(sn)", tnm_m="cM0")
    ProposedTreatment.objects.create(fiche=fiche, sequence=1, code="C15313",
                                     detail="Radiothérapie du sein, 15 séances (hypofractionnement)")
    ProposedTreatment.objects.create(fiche=fiche, sequence=2, code="C547", detail="Hormonothérapie 5 ans")
    ProposedTreatment.objects.create(fiche=fiche, sequence=1, code="C547", is_alternative=True,
                                     detail="Hormonothérapie exclusive si refus de la radiothérapie")
    FurtherTest.objects.create(fiche=fiche, description="Score génomique (Oncotype DX)",
                               latest=date(2026, 12, 15))
    fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)
    fiche.refresh_from_db()
    return fiche
