"""Explainable pre-screening: for one registered case, each open trial's structured criteria checked against the
case's structured data, each criterion *met*, *unknown* or *not met* — never a score.

Rules (docs/trials.md):
- every structured criterion is hard: a trial with one criterion not met is not shown;
- a criterion whose data is missing (no fiche yet, item not answered, result pending) is *unknown*, never counted
  as met: the trial is shown with what remains to check;
- free-text criteria are always *unknown* (a person reads them).

`check(trial, facts)` is pure (no database): the tests drive it with generated trials and cases. `prescreen`
reads the case (`facts_for`) and the open trials.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from oncodcc.questionnaires.models import FicheAnswers
from oncodcc.rcp.models import Registration
from oncodcc.terminology import valuesets as vs

from .criteria import BiomarkerCondition
from .models import LINE_FIRST, LINE_LATER, Trial, TrialSite
from .vocabulary import item_label

PERFORMANCE_STATUS = {"MED-240": 0, "MED-264": 1, "MED-265": 2, "MED-266": 3, "MED-267": 4}
_OPS = {"=": "∈", "!=": "∉", ">=": "≥", "<=": "≤"}


class State(StrEnum):
    MET = "met"
    UNKNOWN = "unknown"
    NOT_MET = "not_met"


@dataclass(frozen=True)
class CaseFacts:
    """The structured data of a case that trials are checked against (None / empty: not known)."""

    age: int | None = None
    performance_status: int | None = None
    organs: frozenset[str] = frozenset()
    organs_from_board: bool = False  # no organ on the fiche: the board's organs (the case is one of them)
    topographies: tuple[str, ...] = ()
    morphologies: tuple[str, ...] = ()
    stage: str = ""
    line: str | None = None
    biomarkers: Mapping[str, str] = field(default_factory=dict)  # statistics item linkId → stored value


@dataclass(frozen=True)
class Criterion:
    label: str  # what the trial asks, in French
    state: State
    found: str = ""  # what the case holds ("" when unknown)


@dataclass
class TrialMatch:
    trial: Trial
    criteria: list[Criterion]
    site: TrialSite | None = None
    site_reason: str = ""

    @property
    def shown(self) -> bool:
        return all(c.state != State.NOT_MET for c in self.criteria)

    @property
    def met(self) -> list[Criterion]:
        return [c for c in self.criteria if c.state == State.MET]

    @property
    def unknown(self) -> list[Criterion]:
        return [c for c in self.criteria if c.state == State.UNKNOWN]


# --- the criteria, one function each -----------------------------------------------------------------------------

def _code(text: str) -> str:
    return text.replace(".", "").replace("/", "").upper()


def _prefixed(codes: tuple[str, ...], prefixes: list[str]) -> State:
    if not codes:
        return State.UNKNOWN
    wanted = [_code(p) for p in prefixes]
    return State.MET if any(_code(c).startswith(w) for c in codes for w in wanted) else State.NOT_MET


def _organs(trial_organs: list[str], facts: CaseFacts) -> State:
    if not facts.organs:
        return State.UNKNOWN
    common = facts.organs & set(trial_organs)
    if not common:
        return State.NOT_MET
    if facts.organs_from_board and facts.organs - common:
        return State.UNKNOWN  # a multi-organ board: the case may be of another of its organs
    return State.MET


def _biomarker(condition: BiomarkerCondition, facts: CaseFacts) -> Criterion:
    label = f"{item_label(condition.item)} {_OPS[condition.op]} {', '.join(condition.values)}"
    answer = facts.biomarkers.get(condition.item, "")
    holds = condition.holds(answer)
    state = State.UNKNOWN if holds is None else State.MET if holds else State.NOT_MET
    return Criterion(label, state, answer)


def _bounded(label: str, value: int | None, ok) -> Criterion:
    if value is None:
        return Criterion(label, State.UNKNOWN)
    return Criterion(label, State.MET if ok(value) else State.NOT_MET, str(value))


def check(trial: Trial, facts: CaseFacts) -> list[Criterion]:
    """Every criterion of the trial, in the order a person reads them."""
    out: list[Criterion] = []
    if trial.organs:
        labels = ", ".join(vs.label(vs.ORGAN, code) for code in trial.organs)
        found = ", ".join(vs.label(vs.ORGAN, code) for code in sorted(facts.organs))
        out.append(Criterion(f"Organe : {labels}", _organs(trial.organs, facts), found))
    if trial.topographies:
        out.append(Criterion(f"Topographie CIM-10 : {', '.join(trial.topographies)}",
                             _prefixed(facts.topographies, trial.topographies), ", ".join(facts.topographies)))
    if trial.morphologies:
        out.append(Criterion(f"Morphologie CIM-O-3 : {', '.join(trial.morphologies)}",
                             _prefixed(facts.morphologies, trial.morphologies), ", ".join(facts.morphologies)))
    if trial.stages:
        state = State.UNKNOWN if not facts.stage else State.MET if facts.stage in trial.stages else State.NOT_MET
        out.append(Criterion(f"Stade : {', '.join(trial.stages)}", state, facts.stage))
    if trial.lines:
        state = State.UNKNOWN if facts.line is None else State.MET if facts.line in trial.lines else State.NOT_MET
        names = {LINE_FIRST: "1re ligne", LINE_LATER: "2e ligne ou plus"}
        out.append(Criterion(f"Ligne : {', '.join(names[line] for line in trial.lines)}", state,
                             names.get(facts.line or "", "")))
    out.extend(_biomarker(condition, facts) for condition in trial.conditions())
    if trial.min_age is not None:
        out.append(_bounded(f"Âge ≥ {trial.min_age} ans", facts.age, lambda age: age >= trial.min_age))
    if trial.max_age is not None:
        out.append(_bounded(f"Âge ≤ {trial.max_age} ans", facts.age, lambda age: age <= trial.max_age))
    if trial.max_performance_status is not None:
        out.append(_bounded(f"État général OMS ≤ {trial.max_performance_status}", facts.performance_status,
                            lambda ps: ps <= trial.max_performance_status))
    if trial.other_criteria.strip():
        out.append(Criterion(f"À vérifier : {trial.other_criteria.strip()}", State.UNKNOWN))
    return out


# --- reading the case ----------------------------------------------------------------------------------------------

def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _line(fiche) -> str | None:
    if fiche.progression or fiche.phase == vs.PHASE_RELAPSE:
        return LINE_LATER
    if fiche.phase == vs.PHASE_INITIAL:
        return LINE_FIRST
    return None


def _organ_form(fiche) -> tuple[dict[str, str], str]:
    """The statistics columns of the fiche's organ form: {item linkId: value} and the stage."""
    record = FicheAnswers.objects.select_related("questionnaire").filter(fiche=fiche).first()
    if record is None:
        return {}, ""
    items = record.questionnaire.form.statistics_items
    return {item.link_id: getattr(record, f"stat_{column}") for column, item in items.items()}, record.stat_stage


def facts_for(registration: Registration) -> CaseFacts:
    """The case as the trials see it: the registration's latest fiche (draft or validated), the patient's age on
    the day of the meeting, the board's organs when the fiche names none."""
    meeting_day = registration.meeting.local_start.date()  # the day in Europe/Paris, not UTC
    age = age_on(registration.patient.birth_date, meeting_day)
    fiche = registration.fiches.order_by("-version_number", "-created_at").first()
    board_organs = frozenset(registration.meeting.board.organs or [])
    if fiche is None:
        return CaseFacts(age=age, organs=board_organs, organs_from_board=True)
    tumours = list(fiche.tumours.all())
    biomarkers, stage = _organ_form(fiche)
    return CaseFacts(
        age=age,
        performance_status=PERFORMANCE_STATUS.get(fiche.who_performance),
        organs=frozenset(fiche.organs) or board_organs,
        organs_from_board=not fiche.organs,
        topographies=tuple(t.topography for t in tumours if t.topography),
        morphologies=tuple(t.morphology for t in tumours if t.morphology),
        stage=stage,
        line=_line(fiche),
        biomarkers=biomarkers,
    )


# --- the nearest opening hospital ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Neighbourhood:
    """Where the case is discussed: the meeting's hospital, the board's hospitals and their territories."""

    meeting_hospital: int | None
    board_hospitals: frozenset[int]
    territories: frozenset[int]

    @classmethod
    def of(cls, registration: Registration) -> "Neighbourhood":
        meeting = registration.meeting
        hospitals = list(meeting.board.hospitals.all())
        if meeting.location_id:
            hospitals.append(meeting.location)
        return cls(meeting.location_id, frozenset(h.pk for h in hospitals),
                   frozenset(h.territory_id for h in hospitals if h.territory_id))


def nearest_site(sites: list[TrialSite], around: Neighbourhood) -> tuple[TrialSite | None, str]:
    """The directory has no coordinates: nearest means the meeting's hospital, then one of the board's hospitals,
    then a hospital of the same territory, then any (by name)."""
    if not sites:
        return None, ""
    for site in sites:
        if site.organisation_id == around.meeting_hospital:
            return site, "établissement de la séance"
    for site in sites:
        if site.organisation_id in around.board_hospitals:
            return site, "établissement de la RCP"
    for site in sites:
        if site.organisation.territory_id in around.territories:
            return site, "même territoire"
    return sorted(sites, key=lambda s: s.organisation.name)[0], "autre territoire"


def shown_trials(registration: Registration, trials: list[Trial]) -> list[Trial]:
    """Those of `trials` (open ones) the case does not contradict, without their sites (the fiche form's list)."""
    trials = [trial for trial in trials if trial.is_open]
    if not trials:
        return []
    facts = facts_for(registration)
    return [trial for trial in trials if TrialMatch(trial, check(trial, facts)).shown]


def prescreen(registration: Registration) -> list[TrialMatch]:
    """The open trials whose no criterion is known to fail, each with its criteria and nearest opening hospital."""
    facts = facts_for(registration)
    trials = Trial.objects.filter(status=Trial.Status.OPEN).prefetch_related("sites__organisation")
    matches = [match for match in (TrialMatch(trial, check(trial, facts)) for trial in trials) if match.shown]
    if matches:
        around = Neighbourhood.of(registration)
        for match in matches:
            match.site, match.site_reason = nearest_site(list(match.trial.sites.all()), around)
    return matches
