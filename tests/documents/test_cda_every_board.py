"""Every board's fiche is a valid CDA FRCP: a fiche validated with each shipped organ form (20 forms, with every
enabled item answered) and past fiches of each board of the demo region, all checked with the ANS kit
(`../shared/ans/validate-cda --profiles`, 0 errors). Haemopathies (lymphoma, myeloma) and paediatric tumours have
no TNM: the volet still requires the TNM entries, sent as not applicable (cda/frcp.py)."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from oncodcc.demo import builder
from oncodcc.demo import catalogue as cat
from oncodcc.documents.cda.frcp import build_frcp
from oncodcc.questionnaires import services as organ_forms
from oncodcc.questionnaires.definition import load_file
from oncodcc.rcp.models import Board, Fiche, Tumour
from oncodcc.rcp.services import fiches
from oncodcc.terminology import valuesets as vs
from tests import factories as f
from tests.documents.kit import errors_of
from tests.questionnaires.helpers import FORMS_DIR, fill_everything

pytestmark = pytest.mark.ans_kit

NS = {"cda": "urn:hl7-org:v3"}
TNM_PARTS = ("21905-5", "21906-3", "21907-1")
RIGHT = "24028007"


@dataclass(frozen=True)
class Case:
    """The tumour of a typical case of a form: TNM (T, N, M) when the classification applies, else another stage."""

    organ_system: str
    topography: str
    morphology: str
    tnm: tuple[str, str, str] = ("", "", "")
    other_stage: str = ""
    laterality: str = ""
    paediatric: bool = False


CASES = {
    "chc": Case("86762007", "C22.0", "8170/3", ("cT2", "cN0", "cM0"), "BCLC A"),
    "col-endometre-vulve": Case("53065001", "C53.9", "8070/3", ("cT1b", "cN0", "cM0")),
    "colon-rectum-anus": Case("86762007", "C18.7", "8140/3", ("pT3", "pN1a", "cM0")),
    "hematologie": Case("57171008", "C90.0", "9732/3", other_stage="ISS stade II"),
    "oesophage-estomac": Case("86762007", "C16.0", "8140/3", ("cT3", "cN1", "cM0")),
    # FIGO staging with the T only: the missing N and M are sent as unknown.
    "ovaire": Case("53065001", "C56", "8461/3", ("cT3c", "", ""), "FIGO IIIC", laterality=RIGHT),
    "pancreas-voies-biliaires": Case("86762007", "C25.0", "8500/3", ("cT2", "cN0", "cM0")),
    "peau": Case("39937001", "C43.5", "8720/3", ("pT2a", "cN0", "cM0")),
    "pediatrie-phases-precoces": Case("25087005", "C71.6", "9470/3", other_stage="Chang M0", paediatric=True),
    "pediatrie": Case("122489005", "C64", "8960/3", other_stage="SIOP stade I", laterality=RIGHT, paediatric=True),
    "prostate": Case("90264002", "C61", "8140/3", ("cT2a", "cN0", "cM0"), "ISUP 2"),
    "sarcome-os": Case("272673000", "C40.2", "9180/3", other_stage="Enneking IIB", laterality=RIGHT),
    "sein": Case("76752008", "C50.4", "8500/3", ("cT2", "cN0", "cM0"), laterality=RIGHT),
    "snc": Case("25087005", "C71.1", "9440/3", other_stage="Grade OMS 4"),
    "testicule-penis": Case("90264002", "C62.9", "9061/3", ("pT1", "cN0", "cM0"), laterality=RIGHT),
    "thorax": Case("312419003", "C34.1", "8140/3", ("cT1b", "cN2", "cM0"), laterality=RIGHT),
    "thyroide-endocrine": Case("387910009", "C73", "8260/3", ("pT1a", "pN0", "cM0")),
    "transversal": Case("", "C18.7", "8140/3", ("pT3", "pN0", "cM0")),
    "urologie-vessie-rein": Case("122489005", "C67.2", "8120/3", ("cT2", "cN0", "cM0")),
    "vads": Case("119253004", "C32.0", "8070/3", ("cT3", "cN0", "cM0")),
}
FORMS = sorted(FORMS_DIR.glob("*.json"))


@pytest.fixture(autouse=True)
def _renderings_not_run(settings):
    # The validation queues the PDF and CDA renderings; this test builds the CDA itself (no WeasyPrint run).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def test_the_cases_cover_every_shipped_form():
    assert set(CASES) == {p.stem for p in FORMS}
    for stem, case in CASES.items():
        assert case.topography in vs.get(vs.TOPOGRAPHY), stem
        assert case.morphology in vs.get(vs.MORPHOLOGY), stem
        assert not case.organ_system or case.organ_system in vs.get(vs.ORGAN_SYSTEM), stem


def validated_fiche_with_form(path: Path) -> Fiche:
    """A fiche of a board using this form, every enabled item of the form answered, validated by the service."""
    definition = load_file(path)
    organ_forms.publish(definition, source=path.name)
    case = CASES[path.stem]
    cross = all(code in vs.get(vs.CROSS_CUTTING_CARE) for code in definition.organs)
    scope = dict(nature=vs.NATURE_CROSS_CUTTING, organ_system="", organs=[], care_types=definition.organs[:3]) \
        if cross else dict(nature=vs.NATURE_ORGAN, organ_system=case.organ_system, organs=definition.organs[:3],
                           care_types=[])
    board = f.BoardFactory(name=f"RCP {definition.title.removeprefix('Fiche RCP').strip(' —-')}",
                           default_form_url=definition.url, is_paediatric=case.paediatric, **scope)
    coordinator = f.DoctorFactory(role="coordinator")
    f.add_member(board, coordinator.practitioner, coordinator=True)
    meeting = f.hold(f.MeetingFactory(board=board))
    registration = f.RegistrationFactory(meeting=meeting, created_by=coordinator,
                                         patient=f.PatientFactory(birth_date=date(2014, 5, 2)) if case.paediatric
                                         else f.PatientFactory())
    fiche = f.complete_fiche(registration, created_by=coordinator, is_paediatric=case.paediatric,
                             motive_paediatric=case.paediatric, **scope)
    t, n, m = case.tnm
    Tumour.objects.filter(fiche=fiche).update(
        topography=case.topography, morphology=case.morphology, laterality=case.laterality, tnm_t=t, tnm_n=n,
        tnm_m=m, tnm_edition="TNM UICC 8e édition" if t else "", other_stage=case.other_stage)
    questionnaire = organ_forms.latest(definition.url)
    organ_forms.store(fiche, questionnaire, _answers(questionnaire))
    return fiches.validate(actor=coordinator, fiche=fiche, expected_version=fiche.lock_version)


def _answers(questionnaire):
    from oncodcc.questionnaires import engine

    form = questionnaire.form
    return engine.validate(form, fill_everything(form), check_required=True)


def write(directory: Path, name: str, fiche: Fiche) -> Path:
    path = directory / f"{name}.xml"
    path.write_bytes(build_frcp(fiche))
    return path


def tnm_values(path: Path) -> list[list[str]]:
    """Per tumour, the value of the T, N and M entries: a code, or the null flavor."""
    doc = etree.parse(str(path))
    stages = doc.xpath("//cda:observation[cda:code/@code='75620-5']", namespaces=NS)
    return [[(stage.xpath(f"cda:entryRelationship/cda:observation[cda:code/@code='{part}']/cda:value",
                          namespaces=NS) or [None])[0].get("code") or
             stage.xpath(f"cda:entryRelationship/cda:observation[cda:code/@code='{part}']/cda:value/@nullFlavor",
                         namespaces=NS)[0]
             for part in TNM_PARTS] for stage in stages]


def test_every_shipped_form_and_every_demo_board_passes_the_kit(db, settings, tmp_path):
    paths = []
    for path in FORMS:
        fiche = validated_fiche_with_form(path)
        assert fiche.status == Fiche.Status.VALIDATED and fiche.organ_answers.questionnaire.url.endswith(path.stem)
        paths.append(write(tmp_path, f"form-{path.stem}", fiche))

    settings.DEMO_MODE = True
    builder.load(patients=60, months=3)
    for board in Board.objects.filter(managing_3c__parent__national_id=cat.DEMO_DSRC_ID).order_by("name"):
        past = Fiche.objects.filter(registration__meeting__board=board, status=Fiche.Status.VALIDATED)
        # One fiche per staging (TNM, another stage) and per registered-only / discussed case.
        picked = {}
        for fiche in past.order_by("validated_at", "pk"):
            tumour = fiche.tumours.first()
            picked.setdefault((bool(tumour.tnm), tumour.topography if not tumour.tnm else "", fiche.case_status),
                              fiche)
        assert picked, f"{board.name}: no past fiche in the demo region"
        paths += [write(tmp_path, f"demo-{board.pk}-{i}", fiche) for i, fiche in enumerate(picked.values())]

    assert len(paths) >= len(FORMS) + 8
    assert tnm_values(tmp_path / "form-hematologie.xml") == [["NA", "NA", "NA"]]
    assert tnm_values(tmp_path / "form-ovaire.xml") == [["cT3c", "UNK", "UNK"]]
    assert tnm_values(tmp_path / "form-sein.xml") == [["cT2", "cN0", "cM0"]]
    failed = errors_of(paths)
    report = "\n".join(f"{name}:\n  " + "\n  ".join(errors) for name, errors in failed.items())
    assert not failed, f"{len(failed)} document(s) fail the ANS kit:\n{report}"
