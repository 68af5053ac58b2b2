"""enableWhen, required, repeats, every item type, QuestionnaireResponse round trip (validated by fhir.resources)."""

from datetime import date
from decimal import Decimal

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from oncodcc.questionnaires import engine
from oncodcc.questionnaires.definition import parse
from tests.questionnaires.helpers import L, opt, questionnaire

UNIT = [{"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
         "valueCoding": {"system": "http://unitsofmeasure.org", "code": "ng/mL", "display": "ng/mL"}}]
ITEMS = [
    {"linkId": "g", "type": "group", "text": "Groupe", "item": [
        {"linkId": "b", "type": "boolean", "text": "Booléen"},
        {"linkId": "d", "type": "decimal", "text": "Décimal"},
        {"linkId": "i", "type": "integer", "text": "Entier"},
        {"linkId": "dt", "type": "date", "text": "Date"},
        {"linkId": "s", "type": "string", "text": "Texte court", "maxLength": 10},
        {"linkId": "t", "type": "text", "text": "Texte long"},
        {"linkId": "c", "type": "choice", "text": "Choix", "answerOption": [opt("a", "A"), opt("b", "B")]},
        {"linkId": "m", "type": "choice", "text": "Choix multiple", "repeats": True,
         "answerOption": [opt("x", "X"), opt("y", "Y")]},
        {"linkId": "o", "type": "open-choice", "text": "Choix ouvert", "answerOption": [opt("p", "Proposé")]},
        {"linkId": "q", "type": "quantity", "text": "PSA", "extension": UNIT},
    ]},
    {"linkId": "si_b", "type": "string", "text": "Si booléen", "required": True,
     "enableWhen": [{"question": "b", "operator": "=", "answerBoolean": True}]},
    {"linkId": "si_c_pas_a", "type": "string", "text": "Si C ≠ A",
     "enableWhen": [{"question": "c", "operator": "!=", "answerCoding": {"system": L, "code": "a"}}]},
    {"linkId": "si_q", "type": "string", "text": "Si PSA ≥ 10 ou entier existe", "enableBehavior": "any",
     "enableWhen": [{"question": "q", "operator": ">=", "answerQuantity": {"value": 10}},
                    {"question": "i", "operator": "exists", "answerBoolean": True}]},
    {"linkId": "chaine", "type": "string", "text": "Dépend d'un item désactivé",
     "enableWhen": [{"question": "si_b", "operator": "exists", "answerBoolean": True}]},
]


@pytest.fixture
def form():
    return parse(questionnaire(ITEMS))


def test_every_item_type_is_converted(form):
    answers = engine.validate(form, {"b": "True", "d": "3,5", "i": "4", "dt": "2026-01-31", "s": "court",
                                     "t": "long\ntexte", "c": f"{L}|b", "m": [f"{L}|x", f"{L}|y"], "o": "Libre",
                                     "q": "12.5"})
    assert answers["b"] is True and answers["d"] == Decimal("3.5") and answers["i"] == 4
    assert answers["dt"] == date(2026, 1, 31) and answers["c"].code == "b"
    assert [o.code for o in answers["m"]] == ["x", "y"] and answers["o"] == "Libre"
    assert answers["q"]["value"] == Decimal("12.5") and answers["q"]["unit"]["code"] == "ng/mL"


@pytest.mark.parametrize(("link_id", "raw", "message"), [
    ("d", "douze", "Nombre"), ("i", "4,5", "entier"), ("dt", "31/02/2026", "Date"), ("s", "x" * 11, "trop long"),
    ("c", f"{L}|zzz", "hors de la liste"), ("b", "peut-être", "oui ou non"), ("t", "a\x00b", "contrôle"),
])
def test_bad_answers_get_french_errors(form, link_id, raw, message):
    with pytest.raises(engine.AnswerErrors) as exc:
        engine.validate(form, {link_id: raw})
    assert message in exc.value.errors[link_id]


def test_unknown_question_is_an_error(form):
    with pytest.raises(engine.AnswerErrors):
        engine.validate(form, {"inconnu": "1"})


def test_enable_when_operators_and_chains(form):
    enabled = engine.enabled_link_ids(form, {})
    assert "si_b" not in enabled and "si_q" not in enabled and "chaine" not in enabled
    assert "si_c_pas_a" in enabled  # no answer is "not A"
    answers = engine.validate(form, {"b": "True", "si_b": "oui", "c": f"{L}|a", "q": "9"})
    enabled = engine.enabled_link_ids(form, answers)
    assert {"si_b", "chaine"} <= enabled and "si_c_pas_a" not in enabled and "si_q" not in enabled
    assert "si_q" in engine.enabled_link_ids(form, engine.validate(form, {"q": "10"}))
    assert "si_q" in engine.enabled_link_ids(form, engine.validate(form, {"i": "1"}))  # enableBehavior any


def test_answers_of_disabled_items_are_dropped(form):
    answers = engine.validate(form, {"b": "False", "si_b": "reste d'une saisie"})
    assert "si_b" not in answers


def test_required_only_when_enabled_and_only_at_validation(form):
    engine.validate(form, {"b": "True"})  # a draft may be incomplete
    with pytest.raises(engine.AnswerErrors) as exc:
        engine.validate(form, {"b": "True"}, check_required=True)
    assert exc.value.errors == {"si_b": "Réponse obligatoire."}
    engine.validate(form, {"b": "False"}, check_required=True)


def test_questionnaire_response_round_trip_is_valid_fhir(form):
    raw = {"b": "True", "si_b": "précision", "d": "3,5", "i": "4", "dt": "2026-01-31", "s": "court", "t": "long",
           "c": f"{L}|b", "m": [f"{L}|y"], "o": "Libre", "q": "12.5"}
    answers = engine.validate(form, raw)
    response = engine.to_response(form, answers, engine.ResponseContext("Patient/1", "2026-11-22T10:00:00+01:00",
                                                                        "completed", "abc-v1"))
    QuestionnaireResponse.model_validate(response)
    assert response["questionnaire"] == "urn:oncodcc:questionnaire:test|1.0.0"
    assert engine.from_response(form, response) == answers


def test_display_values(form):
    answers = engine.validate(form, {"b": "True", "q": "12.5", "m": [f"{L}|x", f"{L}|y"], "dt": "2026-01-31"})
    rows = dict(engine.display_sections(form, answers)[0].rows)
    assert rows == {"Booléen": "Oui", "Choix multiple": "X, Y", "Date": "31/01/2026", "PSA": "12,5 ng/mL"}


def test_repeating_scalars_take_one_value_per_line():
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    from oncodcc.questionnaires.forms import OrganForm

    form = parse(questionnaire([{"linkId": "genes", "type": "string", "text": "Gènes", "repeats": True},
                                {"linkId": "dates", "type": "date", "text": "Dates", "repeats": True}]))
    answers = engine.validate(form, {"genes": "BRCA1\nPALB2\n", "dates": ["2026-01-02", "2026-03-04"]})
    assert answers == {"genes": ["BRCA1", "PALB2"], "dates": [date(2026, 1, 2), date(2026, 3, 4)]}
    with pytest.raises(engine.AnswerErrors) as exc:
        engine.validate(form, {"dates": "2026-01-02\nhier"})
    assert "Valeur n° 2" in exc.value.errors["dates"]
    response = engine.to_response(form, answers, engine.ResponseContext("Patient/1", "2026-11-22T10:00:00+01:00",
                                                                        "in-progress"))
    QuestionnaireResponse.model_validate(response)
    assert engine.from_response(form, response) == answers
    assert OrganForm(form, answers=answers).initial["q__genes"] == "BRCA1\nPALB2"


def test_repeating_groups_are_refused_with_a_clear_message():
    from oncodcc.questionnaires.definition import DefinitionError

    with pytest.raises(DefinitionError, match="repeats"):
        parse(questionnaire([{"linkId": "g", "type": "group", "text": "G", "repeats": True,
                              "item": [{"linkId": "x", "type": "string", "text": "X"}]}]))
