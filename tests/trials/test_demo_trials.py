"""The demo registry: about thirty fictitious trials across organs and biomarkers, opened in the demo hospitals,
loaded twice without change, and written in the organ forms' own codes."""

from oncodcc.demo.trials import TRIALS, load_demo_trials
from oncodcc.questionnaires.definition import load_file
from oncodcc.questionnaires.services import FORMS_DIR
from oncodcc.trials.criteria import parse_condition
from oncodcc.trials.models import Trial, TrialSite
from tests import factories as f


def test_loaded_twice_without_change(db):
    hospitals = [f.OrganisationFactory(name=f"CH {n}", finess=f"99000{n:04d}") for n in range(6)]
    assert load_demo_trials(hospitals) == len(TRIALS)
    first = sorted(Trial.objects.values_list("eu_ct_number", "nct_id", "status", "biomarkers"))
    sites = sorted(TrialSite.objects.values_list("trial__eu_ct_number", "organisation_id", "investigator", "contact"))
    load_demo_trials(hospitals)
    assert sorted(Trial.objects.values_list("eu_ct_number", "nct_id", "status", "biomarkers")) == first
    assert sorted(TrialSite.objects.values_list("trial__eu_ct_number", "organisation_id", "investigator",
                                                "contact")) == sites
    assert 25 <= Trial.objects.filter(status=Trial.Status.OPEN).count() <= len(TRIALS)
    assert all(2 <= t.sites.count() <= 3 for t in Trial.objects.all())
    assert len({organ for t in Trial.objects.all() for organ in t.organs}) >= 15
    assert all(t.eu_ct_number.startswith("2099-") and t.nct_id.startswith("NCT99") for t in Trial.objects.all())


def test_stages_and_biomarker_values_are_codes_of_the_organ_forms():
    stages, options = set(), {}
    for path in FORMS_DIR.glob("*.json"):
        for column, item in load_file(path).statistics_items.items():
            codes = {option.code for option in item.options}
            if column == "stage":
                stages |= codes
            options.setdefault(item.link_id, set()).update(codes)
    for demo in TRIALS:
        assert set(demo.stages) <= stages, demo.acronym
        for text in demo.biomarkers:
            condition = parse_condition(text)
            if not condition.numeric:
                assert set(condition.values) <= options[condition.item], (demo.acronym, text)
