"""The patient's care plan (PPS, PPAC) as a PDF/A-3b document handed to the patient: sections in plain French,
labels from the value sets, contacts, hand-over, header per organisation, long texts, French names."""

import re
import shutil
from datetime import date, timedelta

import pytest
from django.utils import timezone

from oncodcc.careplans import services
from oncodcc.careplans.models import CarePlan
from oncodcc.careplans.services import CarePlanInput
from oncodcc.documents.models import DocumentHeader
from oncodcc.documents.pdf.careplan import render_careplan_pdf
from oncodcc.terminology import valuesets as vs
from tests import factories as f
from tests.documents.test_pdf import pages_of, run, text_of

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def flat(data: bytes) -> str:
    """The text without layout, whitespace collapsed (labels may wrap in table cells)."""
    return " ".join(text_of(data).split())


@pytest.fixture
def fiche(held_meeting, registration, member_doctor):
    patient = registration.patient
    patient.gp = f.PractitionerFactory(specialty="G15_10/SM26", last_name="Généraliste", phone="02 41 00 00 00")
    patient.save()
    ccc = held_meeting.board.managing_3c
    ccc.phone = "02 41 11 11 11"
    ccc.save()
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    return f.mark_validated(fiche, by=member_doctor)


@pytest.fixture
def make_plan(fiche, member_doctor):
    def make(*, validate=True, hand_over=False, **fields):
        plan = services.create_from_fiche(actor=member_doctor, fiche=fiche,
                                          referring_doctor=member_doctor.practitioner)
        data = {"supportive_care": ["ORG-035", "ORG-036"], "supportive_care_comment": "Consultation douleur au CHU",
                "socio_support": ["PAT-024"], "follow_up": ["MED-092", "11429006"],
                "follow_up_text": "Mammographie annuelle", **fields}
        plan = services.update(actor=member_doctor, plan=plan, expected_version=plan.lock_version,
                               data=CarePlanInput(fields=data, treatments=[
                                   {"code": "C15313", "start_date": date(2026, 11, 2), "end_date": date(2026, 12, 4),
                                    "rhythm": "5 séances par semaine", "place": "CHU d'Angers"},
                                   {"code": "C15445", "at_home": True, "administration": "Comprimés, par la bouche",
                                    "start_date": date(2026, 12, 10), "comment": "Hormonothérapie 5 ans"}]))
        if validate:
            plan = services.validate(actor=member_doctor, plan=plan)
        if hand_over:
            plan = services.hand_over(actor=member_doctor, plan=plan, date=timezone.localdate(),
                                      by=member_doctor.practitioner)
        plan.refresh_from_db()
        return plan
    return make


def test_validated_pps_renders_for_the_patient(make_plan, member_doctor):
    plan = make_plan(hand_over=True)
    data = render_careplan_pdf(plan)
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    text = flat(data)
    for expected in ("Votre programme personnalisé de soins", plan.patient.display_name,
                     "Votre programme de traitement", "Vos soins de support", "Accompagnement social et professionnel",
                     "Votre suivi", "Vos contacts", "5 séances par semaine", "CHU d'Angers", "À domicile",
                     "Hormonothérapie 5 ans", "Consultation douleur au CHU", "Mammographie annuelle",
                     str(member_doctor.practitioner), "page 1 /"):
        assert expected in text, expected
    # Labels come from the value sets, not typed in the template.
    for valueset, code in ((vs.PPS_TREATMENT_TYPE, "C15313"), (vs.PPS_TREATMENT_TYPE, "C15445"),
                           (vs.SUPPORTIVE_CARE, "ORG-035"), (vs.SOCIO_PRO_SUPPORT, "PAT-024"),
                           (vs.FOLLOW_UP_TYPE, "MED-092")):
        label = vs.label(valueset, code)
        assert label and " ".join(label[:1].upper().split()) in text and " ".join(label[1:].split()) in text, label
    # Contacts: the 3C with its phone, the referring doctor, the GP.
    board = plan.fiche.registration.meeting.board
    for expected in (board.managing_3c.name, "02 41 11 11 11", "Médecin traitant", "GÉNÉRALISTE", "02 41 00 00 00"):
        assert expected in text, expected
    handed = timezone.localdate()
    assert f"remis le {handed.day}" in text
    assert f"par {member_doctor.practitioner}" in text
    # Order of the sections, as read by the patient.
    positions = [text.index(s) for s in ("Votre programme de traitement", "Vos soins de support",
                                         "Accompagnement social et professionnel", "Votre suivi", "Vos contacts",
                                         "vous a été remis le")]
    assert positions == sorted(positions)
    assert "document non validé" not in text.lower()


def test_pdfa_3b_marker_and_fonts(make_plan):
    data = render_careplan_pdf(make_plan())
    xmp = run("pdfinfo", "-meta", data=data)
    assert re.search(r'pdfaid:part(="|>)3', xmp)
    assert re.search(r'pdfaid:conformance(="|>)B', xmp)
    assert "(A4)" in run("pdfinfo", data=data)
    fonts = run("pdffonts", data=data).splitlines()[2:]
    assert fonts and all("DejaVu" in line for line in fonts), fonts


def test_draft_without_hand_over_is_marked(make_plan):
    text = flat(render_careplan_pdf(make_plan(validate=False)))
    assert "brouillon — document non validé" in text.lower()  # (upper case in the stylesheet)
    assert "Remis le :" in text and "vous a été remis" not in text


def test_new_version_shows_the_reason(make_plan, member_doctor):
    plan = make_plan()
    v2 = services.new_version(actor=member_doctor, plan=plan, reason_code="GEN-176", reason_text="Report d'une séance")
    text = flat(render_careplan_pdf(v2))
    assert "Version 2" in text and vs.label(vs.UPDATE_REASON, "GEN-176") in text and "Report d'une séance" in text
    assert "version 2 — page 1 /" in text


def test_ppac_has_its_own_title_and_sections(patient, member_doctor, board):
    gp = f.PractitionerFactory(last_name="Martin", phone="02 47 22 22 22")
    plan = CarePlan.objects.create(
        kind=CarePlan.Kind.PPAC, patient=patient, referring_doctor=member_doctor.practitioner,
        created_by=member_doctor, follow_up=["11429006", "MED-092"],
        follow_up_text="Consultation chez votre médecin traitant tous les 6 mois, mammographie chaque année.",
        supportive_care=["ORG-175"], all_treatments_stopped=True,
        treatments_stopped_on=timezone.localdate() - timedelta(days=30),
    )
    plan.treatments.create(code="C15445", at_home=True, comment="Hormonothérapie jusqu'en 2031")
    plan.contacts.create(role="gp", name=str(gp), phone=gp.phone, practitioner=gp, order=1)
    plan.contacts.create(role="3C", name=board.managing_3c.name, organisation=board.managing_3c, order=2)
    DocumentHeader.objects.create(organisation=board.managing_3c, display_name="3C du Val de Loire")
    data = render_careplan_pdf(plan)
    text = flat(data)
    for expected in ("Votre programme personnalisé de l'après-cancer", "Votre suivi après le cancer",
                     "Consultation chez votre médecin traitant", vs.label(vs.SUPPORTIVE_CARE, "ORG-175")[1:],
                     "Hormonothérapie jusqu'en 2031", "Vos contacts", "MARTIN", "02 47 22 22 22",
                     "3C du Val de Loire", "page 1 /"):
        assert expected in text, expected
    assert "Votre programme personnalisé de soins" not in text
    assert "Votre programme de traitement" not in text
    assert "Accompagnement social et professionnel" not in text  # nothing planned: left out of the PPAC


def test_header_follows_the_board_organisation(make_plan, board):
    hospital = f.OrganisationFactory(name="Centre hospitalier de Cholet", finess="490000155")
    board.hospitals.add(hospital)
    DocumentHeader.objects.create(organisation=hospital, show_finess=True)
    text = flat(render_careplan_pdf(make_plan()))
    assert "Centre hospitalier de Cholet" in text and "FINESS 490000155" in text
    assert "Programme personnalisé de soins" in text  # the document named in the header


def test_long_texts_paginate(make_plan):
    paragraph = ("Marche quotidienne de trente minutes, reprise progressive du sport, consultation diététique, "
                 "bilan biologique trimestriel et échographie selon les recommandations. ") * 6
    long = "\n\n".join(f"§{i} {paragraph}" for i in range(25)) + "\n\nFIN DU SUIVI"
    plan = make_plan(follow_up_text=long, comment="Remarque finale")
    data = render_careplan_pdf(plan)
    pages = pages_of(data)
    assert pages >= 4
    text = flat(data)
    assert "FIN DU SUIVI" in text and f"page {pages} / {pages}" in text and "Remarque finale" in text
    assert text.count("Programme personnalisé de soins —") >= pages  # footer on every page


def test_unicode_names(make_plan, registration):
    patient = registration.patient
    patient.birth_name = "L'Hÿver-Cœurœ d’Æsçà"
    patient.first_birth_given_name = "Anaïs-Éléonore"
    patient.used_given_name = ""
    patient.save()
    plan = make_plan(comment="Noël, Zoë, Ægidius, Maëlys ; « guillemets » — tiret.")
    plan.contacts.create(role="nurse", name="Zoë Œhlenschläger", phone="06 12 34 56 78", order=9)
    text = flat(render_careplan_pdf(plan))
    for expected in (patient.display_name, "Anaïs-Éléonore", "Maëlys", "« guillemets »", "Zoë Œhlenschläger"):
        assert expected in text, expected


def test_logo_present_and_corrupt(make_plan, board):
    from tests.documents.test_pdf import images_in, png_bytes

    plan = make_plan()
    header = DocumentHeader.objects.create(organisation=board.managing_3c, logo=png_bytes(),
                                           logo_content_type="image/png")
    assert images_in(render_careplan_pdf(plan)) >= 1
    header.logo = png_bytes()[:60]  # truncated in the database
    header.save()
    data = render_careplan_pdf(plan)
    assert data.startswith(b"%PDF") and images_in(data) == 0 and header.name in flat(data)


def test_ppac_without_fiche_takes_the_header_of_the_patients_board(fiche, member_doctor, board):
    DocumentHeader.objects.create(organisation=board.managing_3c, display_name="En-tête du 3C de la RCP")
    plan = CarePlan.objects.create(kind=CarePlan.Kind.PPAC, patient=fiche.patient, created_by=member_doctor)
    text = flat(render_careplan_pdf(plan))
    assert "En-tête du 3C de la RCP" in text and "Programme personnalisé de l'après-cancer" in text
    assert "Les modalités de votre suivi vous seront précisées" in text  # empty follow-up: a plain sentence
    assert "Demandez à votre équipe soignante qui contacter" in text
