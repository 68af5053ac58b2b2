"""The pre-screening rules, on generated trials and cases (no database: `check` is pure).

Properties: a trial shown never has a hard criterion the case is known to fail (checked against an oracle written
independently of `check`, criterion by criterion); an unknown datum never makes a criterion met; knowing less about
a case never hides a trial it showed."""

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from oncodcc.trials.criteria import INDETERMINATE, parse_condition
from oncodcc.trials.matching import CaseFacts, State, TrialMatch, check
from oncodcc.trials.models import LINES, Trial

BREAST, LUNG, COLON = "76752008", "MED-255", "MED-251"
ORGANS = [BREAST, LUNG, COLON]
STAGES = ["I", "II", "IIIA", "IV", "metastatique"]
ITEMS = {"her2_statut": ["negatif", "low", "positif"], "egfr": ["mute", "neg"], "mmr_statut": ["dmmr", "pmmr"]}
NUMERIC = "pdl1_tps"

conditions = st.one_of(
    st.builds(lambda item, op, values: f"{item}{op}{','.join(values)}",
              st.sampled_from(sorted(ITEMS)), st.sampled_from(["=", "!="]),
              st.lists(st.sampled_from(["negatif", "low", "positif", "mute", "neg", "dmmr", "pmmr"]),
                       min_size=1, max_size=2, unique=True)),
    st.builds(lambda op, bound: f"{NUMERIC}{op}{bound}", st.sampled_from([">=", "<="]), st.integers(0, 100)),
)

trials = st.builds(
    lambda organs, topo, morpho, stages, lines, biomarkers, lo, hi, ps, text: Trial(
        eu_ct_number="2025-500000-00-00", title="Essai", organs=organs, topographies=topo, morphologies=morpho,
        stages=stages, lines=lines, biomarkers=biomarkers, min_age=lo, max_age=hi, max_performance_status=ps,
        other_criteria=text),
    st.lists(st.sampled_from(ORGANS), max_size=2, unique=True),
    st.lists(st.sampled_from(["C50", "C34", "C18", "C50.4"]), max_size=2, unique=True),
    st.lists(st.sampled_from(["8500", "8140/3", "85"]), max_size=2, unique=True),
    st.lists(st.sampled_from(STAGES), max_size=3, unique=True),
    st.lists(st.sampled_from(LINES), max_size=2, unique=True),
    st.lists(conditions, max_size=3),
    st.one_of(st.none(), st.integers(15, 60)),
    st.one_of(st.none(), st.integers(40, 90)),
    st.one_of(st.none(), st.integers(0, 4)),
    st.sampled_from(["", "Pas de métastase cérébrale symptomatique."]),
)

answers = st.one_of(st.just(""), st.sampled_from(sorted(INDETERMINATE)),
                    st.sampled_from(["negatif", "low", "positif", "mute", "neg", "dmmr", "pmmr"]))
cases = st.builds(
    CaseFacts,
    age=st.one_of(st.none(), st.integers(10, 100)),
    performance_status=st.one_of(st.none(), st.integers(0, 4)),
    organs=st.frozensets(st.sampled_from(ORGANS), max_size=2),
    organs_from_board=st.booleans(),
    topographies=st.lists(st.sampled_from(["C50.4", "C34.1", "C18.7", "C61"]), max_size=2).map(tuple),
    morphologies=st.lists(st.sampled_from(["8500/3", "8140/3", "8070/3"]), max_size=2).map(tuple),
    stage=st.sampled_from(["", *STAGES]),
    line=st.sampled_from([None, *LINES]),
    biomarkers=st.fixed_dictionaries({}, optional={
        **dict.fromkeys(ITEMS, answers),
        NUMERIC: st.one_of(st.just(""), st.just("en_cours"), st.integers(0, 100).map(str)),
    }),
)


def known_failures(trial: Trial, case: CaseFacts) -> list[str]:
    """The oracle: the hard criteria the case's known data contradicts, written without `check`."""
    failed = []
    if trial.organs and case.organs and not (case.organs & set(trial.organs)):
        failed.append("organ")
    if trial.topographies and case.topographies and not any(
            t.replace(".", "").startswith(p.replace(".", "")) for t in case.topographies for p in trial.topographies):
        failed.append("topography")
    if trial.morphologies and case.morphologies and not any(
            m.replace("/", "").startswith(p.replace("/", "")) for m in case.morphologies for p in trial.morphologies):
        failed.append("morphology")
    if trial.stages and case.stage and case.stage not in trial.stages:
        failed.append("stage")
    if trial.lines and case.line and case.line not in trial.lines:
        failed.append("line")
    if trial.min_age is not None and case.age is not None and case.age < trial.min_age:
        failed.append("min_age")
    if trial.max_age is not None and case.age is not None and case.age > trial.max_age:
        failed.append("max_age")
    if trial.max_performance_status is not None and case.performance_status is not None \
            and case.performance_status > trial.max_performance_status:
        failed.append("performance")
    for text in trial.biomarkers:
        item, op, values = parse_condition(text).item, parse_condition(text).op, parse_condition(text).values
        answer = case.biomarkers.get(item, "")
        if not answer or answer in INDETERMINATE:
            continue
        if (op == "=" and answer not in values) or (op == "!=" and answer in values) \
                or (op == ">=" and int(answer) < int(values[0])) or (op == "<=" and int(answer) > int(values[0])):
            failed.append(text)
    return failed


@settings(max_examples=200, deadline=None)
@given(trials, cases)
def test_no_trial_shown_whose_hard_criterion_is_not_met(trial, case):
    match = TrialMatch(trial, check(trial, case))
    failures = known_failures(trial, case)
    assert match.shown == (not failures), (failures, match.criteria)


@settings(max_examples=150, deadline=None)
@given(trials, cases)
def test_unknown_is_never_met(trial, case):
    empty = CaseFacts()
    for criterion in check(trial, empty):
        assert criterion.state == State.UNKNOWN, criterion
    # A biomarker pending, not done or not answered is unknown, whatever the condition says.
    for text in trial.biomarkers:
        alone = Trial(nct_id="NCT05000000", title="Une condition", biomarkers=[text])
        for answer in ["", "en_cours", "non_fait", "nd"]:
            pending = replace(case, biomarkers=dict.fromkeys([*ITEMS, NUMERIC], answer))
            assert [c.state for c in check(alone, pending)] == [State.UNKNOWN], (text, answer)


@settings(max_examples=150, deadline=None)
@given(trials, cases, st.sampled_from(["age", "performance_status", "stage", "line", "biomarkers", "organs"]))
def test_knowing_less_never_hides_a_trial(trial, case, forgotten):
    blank = {"age": None, "performance_status": None, "stage": "", "line": None, "biomarkers": {},
             "organs": frozenset()}[forgotten]
    if TrialMatch(trial, check(trial, case)).shown:
        assert TrialMatch(trial, check(trial, replace(case, **{forgotten: blank}))).shown


def test_a_her2_low_breast_case_and_a_her2_low_trial():
    trial = Trial(nct_id="NCT05000001", title="HER2-low", organs=[BREAST], biomarkers=["her2_statut=low"],
                  min_age=18, max_performance_status=1, lines=["2+"])
    case = CaseFacts(age=57, performance_status=1, organs=frozenset({BREAST}), biomarkers={"her2_statut": "low"})
    criteria = {c.label: c.state for c in check(trial, case)}
    assert criteria == {"Organe : Sein": State.MET, "Ligne : 2e ligne ou plus": State.UNKNOWN,
                        "Statut HER2 retenu ∈ low": State.MET, "Âge ≥ 18 ans": State.MET,
                        "État général OMS ≤ 1": State.MET}
    assert not TrialMatch(trial, check(trial, replace(case, biomarkers={"her2_statut": "positif"}))).shown
    assert TrialMatch(trial, check(trial, replace(case, biomarkers={"her2_statut": "en_attente"}))).shown


def test_a_multi_organ_board_leaves_the_organ_unknown_but_a_foreign_board_fails_it():
    trial = Trial(nct_id="NCT05000002", title="Poumon", organs=[LUNG])
    thorax_and_breast = CaseFacts(organs=frozenset({LUNG, BREAST}), organs_from_board=True)
    assert check(trial, thorax_and_breast)[0].state == State.UNKNOWN
    assert check(trial, replace(thorax_and_breast, organs_from_board=False))[0].state == State.MET
    assert check(trial, CaseFacts(organs=frozenset({BREAST}), organs_from_board=True))[0].state == State.NOT_MET
