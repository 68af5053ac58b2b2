"""Every shipped form loads, renders, and round-trips a filled sample response (valid FHIR)."""

import pytest
from django.core.management import call_command
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from oncodcc.questionnaires import engine
from oncodcc.questionnaires.definition import load_file
from oncodcc.questionnaires.forms import OrganForm
from oncodcc.questionnaires.models import Questionnaire
from tests.questionnaires.helpers import FORMS_DIR, fill_everything

FILES = sorted(FORMS_DIR.glob("*.json"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_form_loads_renders_and_round_trips(path):
    definition = load_file(path)
    FhirQuestionnaire.model_validate(definition.resource)
    assert definition.title.startswith("Fiche RCP") and definition.organs, "title and organs (useContext)"
    assert definition.statistics_items, "at least one item marked for statistics"
    html = OrganForm(definition).as_div()
    assert "q__" in html
    raw = fill_everything(definition)
    answers = engine.validate(definition, raw, check_required=True)
    response = engine.to_response(definition, answers, engine.ResponseContext("Patient/7", "2026-11-22T18:00:00+01:00",
                                                                              "completed"))
    QuestionnaireResponse.model_validate(response)
    assert engine.from_response(definition, response) == answers
    bound = OrganForm(definition, _as_post(raw))
    assert bound.is_valid(), bound.errors
    assert set(engine.statistics_values(definition, answers)) == set(definition.statistics_items)


def _as_post(raw):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for link_id, value in raw.items():
        if isinstance(value, list):
            data.setlist(f"q__{link_id}", value)
        else:
            data[f"q__{link_id}"] = value
    return data


def test_the_catalogue_is_complete():
    """The 19 organ forms of the regional DCCs we replace, and the cross-cutting one."""
    assert {p.stem for p in FILES} == {
        "sein", "colon-rectum-anus", "oesophage-estomac", "pancreas-voies-biliaires", "chc", "thorax", "prostate",
        "urologie-vessie-rein", "testicule-penis", "ovaire", "col-endometre-vulve", "vads", "snc", "hematologie",
        "peau", "sarcome-os", "thyroide-endocrine", "pediatrie", "pediatrie-phases-precoces", "transversal",
    }


@pytest.mark.django_db
def test_forms_load_is_idempotent_and_export_writes_every_version(tmp_path, capsys):
    call_command("forms", "load")
    count = Questionnaire.objects.count()
    assert count == len(FILES)
    call_command("forms", "load")
    assert Questionnaire.objects.count() == count
    call_command("forms", "export", "--out", str(tmp_path))
    assert len(list(tmp_path.glob("*.json"))) == count
