"""Bad definitions are refused with the file, the item linkId and the reason."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from oncodcc.questionnaires.definition import DefinitionError, parse
from oncodcc.questionnaires.models import Questionnaire
from tests.questionnaires.helpers import L, opt, questionnaire

GOOD = [
    {"linkId": "statut", "type": "choice", "text": "Statut", "answerOption": [opt("pos", "Positif"), opt("neg", "Négatif")]},
    {"linkId": "taux", "type": "integer", "text": "Taux",
     "enableWhen": [{"question": "statut", "operator": "=", "answerCoding": {"system": L, "code": "pos"}}]},
]


def test_a_good_definition_parses():
    definition = parse(questionnaire(GOOD), source="ok.json")
    assert definition.canonical == "urn:oncodcc:questionnaire:test|1.0.0"
    assert [i.link_id for i in definition.walk()] == ["statut", "taux"]


@pytest.mark.parametrize(("items", "link_id", "reason"), [
    ([{"linkId": "a", "type": "attachment", "text": "Pièce"}], "a", "non pris en charge"),
    ([GOOD[0], {**GOOD[0]}], "statut", "en double"),
    ([{"linkId": "x", "type": "integer", "text": "X", "enableWhen": [{"question": "y", "operator": "exists",
                                                                       "answerBoolean": True}]},
      {"linkId": "y", "type": "boolean", "text": "Y"}], "x", "item précédent"),
    ([GOOD[0], {"linkId": "t", "type": "integer", "text": "T",
                "enableWhen": [{"question": "statut", "operator": "=", "answerBoolean": True}]}], "t", "answerCoding"),
    ([GOOD[0], {"linkId": "t", "type": "integer", "text": "T",
                "enableWhen": [{"question": "statut", "operator": "=", "answerCoding": {"system": L, "code": "zzz"}}]}],
     "t", "n'existe pas"),
    ([{"linkId": "c", "type": "choice", "text": "C"}], "c", "answerOption"),
    ([{"linkId": "c", "type": "choice", "text": "C", "answerValueSet": "urn:oid:9.9.9"}], "c", "jeu de valeurs inconnu"),
    ([{"linkId": "q", "type": "quantity", "text": "Q"}], "q", "unité"),
    ([{"linkId": "s", "type": "open-choice", "text": "S", "repeats": True, "answerOption": [opt("a", "A")]}], "s",
     "repeats"),
    ([{"linkId": "g", "type": "group", "text": "G"}], "g", "groupe vide"),
    ([{"linkId": "a", "type": "integer", "text": "A",
       "extension": [{"url": "urn:oncodcc:extension:statistics", "valueString": "stage"}]},
      {"linkId": "b", "type": "integer", "text": "B",
       "extension": [{"url": "urn:oncodcc:extension:statistics", "valueString": "stage"}]}], "b", "déjà utilisée"),
    ([{"linkId": "Bad-Id", "type": "integer", "text": "A"}], "Bad-Id", "linkId"),
])
def test_bad_items_are_refused_with_link_id_and_reason(items, link_id, reason):
    with pytest.raises(DefinitionError) as exc:
        parse(questionnaire(items), source="organe.json")
    assert exc.value.source == "organe.json"
    assert exc.value.link_id == link_id
    assert reason in exc.value.reason
    assert "organe.json" in str(exc.value) and link_id in str(exc.value)


def test_value_set_reference_gives_national_options():
    definition = parse(questionnaire([{"linkId": "oms", "type": "choice", "text": "OMS",
                                       "answerValueSet": "urn:oid:1.2.250.1.213.1.1.4.2.281.1"}]))
    assert [o.code for o in definition.items[0].options][:2] == ["MED-240", "MED-264"]


def test_bad_header_and_invalid_fhir_are_refused():
    with pytest.raises(DefinitionError, match="url"):
        parse(questionnaire(GOOD, url="http://example.org/q"))
    with pytest.raises(DefinitionError, match="FHIR"):
        parse(questionnaire(GOOD, status=12))


@pytest.mark.django_db
def test_load_stops_on_a_bad_file_and_loads_nothing_of_it(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(questionnaire(GOOD, url="urn:oncodcc:questionnaire:a")))
    bad = questionnaire([GOOD[0], {"linkId": "t", "type": "integer", "text": "T",
                                   "enableWhen": [{"question": "nope", "operator": "exists", "answerBoolean": True}]}],
                        url="urn:oncodcc:questionnaire:b")
    (tmp_path / "b.json").write_text(json.dumps(bad))
    with pytest.raises(CommandError) as exc:
        call_command("forms", "load", "--dir", str(tmp_path))
    assert "b.json" in str(exc.value) and "« t »" in str(exc.value)
    assert list(Questionnaire.objects.values_list("url", flat=True)) == ["urn:oncodcc:questionnaire:a"]
