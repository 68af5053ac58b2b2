"""The rollup counters: kept by the validation services through their signals, and equal — on random data,
whichever path built them — to a direct count of the facts."""

import random
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncodcc.careplans import services as careplans
from oncodcc.careplans.models import CarePlan
from oncodcc.careplans.signals import care_plan_validated
from oncodcc.infocentre import activity, figures, rollups, scopes
from oncodcc.infocentre.models import DailyActivity, DiscussedPatient, Kind
from oncodcc.rcp.models import PARIS, Fiche
from oncodcc.rcp.services import fiches
from oncodcc.rcp.signals import fiche_validated
from tests import factories as f

from .conftest import meeting_at, paris, registration, validated, validated_plan


def counters() -> Counter:
    return Counter({(row.day, row.board_id, row.kind): row.count for row in DailyActivity.objects.all()})


def test_the_services_keep_the_counters(board, coordinator, member_doctor):
    meeting = f.hold(f.MeetingFactory(board=board))
    reg = f.RegistrationFactory(meeting=meeting, requesting_doctor=member_doctor.practitioner,
                                presenting_doctor=member_doctor.practitioner)
    draft = f.complete_fiche(reg, created_by=coordinator)
    fiche = fiches.validate(actor=coordinator, fiche=draft, expected_version=draft.lock_version)
    day = rollups.paris_day(fiche.validated_at)
    meeting_day = rollups.paris_day(meeting.starts_at)
    assert counters() == Counter({(day, board.pk, Kind.FICHE): 1, (meeting_day, board.pk, Kind.MEETING_HELD): 1})
    assert DiscussedPatient.objects.filter(board=board, patient_id=reg.patient_id, year=day.year).exists()
    # A correction counts apart; the meeting stays held once.
    correction = fiches.correct(actor=coordinator, fiche=fiche, reason="Erreur de latéralité")
    fiches.validate(actor=coordinator, fiche=correction, expected_version=correction.lock_version)
    plan = careplans.create_from_fiche(actor=member_doctor, fiche=Fiche.objects.get(pk=correction.pk),
                                       referring_doctor=member_doctor.practitioner)
    plan = careplans.validate(actor=member_doctor, plan=plan)
    pps_day = rollups.paris_day(plan.validated_at)
    assert counters() == Counter({
        (day, board.pk, Kind.FICHE): 1, (meeting_day, board.pk, Kind.MEETING_HELD): 1,
        (rollups.paris_day(Fiche.objects.get(pk=correction.pk).validated_at), board.pk, Kind.FICHE_CORRECTION): 1,
        (pps_day, board.pk, Kind.PPS): 1,
    })
    incremental = counters()
    rollups.rebuild()
    assert counters() == incremental


def test_a_failing_counter_rolls_the_validation_back(board, coordinator, member_doctor):
    """The counters are written in the validation's transaction: no validated fiche without its count."""
    meeting = f.hold(f.MeetingFactory(board=board))
    reg = f.RegistrationFactory(meeting=meeting)
    draft = f.complete_fiche(reg, created_by=coordinator)

    def broken(sender, **kwargs):
        raise RuntimeError("compteur indisponible")

    fiche_validated.connect(broken, dispatch_uid="test-broken")
    try:
        with pytest.raises(RuntimeError):
            fiches.validate(actor=coordinator, fiche=draft, expected_version=draft.lock_version)
    finally:
        fiche_validated.disconnect(dispatch_uid="test-broken")
    draft.refresh_from_db()
    assert draft.status == Fiche.Status.DRAFT and not DailyActivity.objects.exists()


# --- random data: incremental counters == rebuilt counters == a direct count -----------------------------------

EDGES = [paris(2024, 12, 31, 23, 0), paris(2025, 1, 1, 0, 30), paris(2025, 6, 15, 17), paris(2025, 12, 31, 23, 30),
         paris(2026, 1, 1, 0, 15)]
case = st.tuples(st.integers(0, 3),  # patient
                 st.integers(0, 3),  # validations (0: none; 2, 3: corrections)
                 st.integers(0, 3),  # PPS versions (needs a validated fiche)
                 st.booleans(),  # a PPAC
                 st.lists(st.integers(0, 60 * 24 * 20), min_size=4, max_size=4))  # delays in minutes
meeting = st.tuples(st.integers(0, 1), st.sampled_from(EDGES), st.integers(-120, 120),
                    st.lists(case, max_size=3))


def normalise(raw) -> list:
    """(board, edge, offset, cases with delays) → (board, start, cases with ascending instants)."""
    plan = []
    for board_index, edge, offset, cases in raw:
        start = edge + timedelta(minutes=offset)
        plan.append((board_index, start, [
            (patient, versions, pps, ppac, [start + timedelta(minutes=d) for d in sorted(delays)])
            for patient, versions, pps, ppac, delays in cases]))
    return plan


def direct_count(plan, boards) -> tuple[Counter, set]:
    """What the figures must say, counted from the generated story itself."""
    counts, discussed = Counter(), set()
    for board_index, start, cases in plan:
        board = boards[board_index]
        held = False
        for patient, versions, pps_versions, ppac, instants in cases:
            for version, at in enumerate(instants[:versions], start=1):
                year = at.astimezone(PARIS).year
                counts[(year, board.pk, "fiche" if version == 1 else "fiche_correction")] += 1
                if version == 1:
                    held = True
                    discussed.add((year, board.pk, patient))
            if versions:
                for version in range(1, pps_versions + 1):
                    at = instants[versions - 1] + timedelta(days=version)
                    counts[(at.astimezone(PARIS).year, board.pk, "pps" if version == 1 else "pps_update")] += 1
            if ppac:
                counts[((instants[-1] + timedelta(days=30)).astimezone(PARIS).year, None, "ppac")] += 1
        if held:
            counts[(start.astimezone(PARIS).year, board.pk, "meeting_held")] += 1
    return counts, discussed


def replay(plan, boards, patients, signer) -> None:
    """Write the story in time order, sending the validation signals as the services do."""
    events = []
    for board_index, start, cases in plan:
        m = meeting_at(boards[board_index], start)
        for patient, versions, pps_versions, ppac, instants in cases:
            reg = registration(m, patients[patient])
            set_id = uuid.uuid4()
            for version, at in enumerate(instants[:versions], start=1):
                events.append((at, "fiche", (reg, version, set_id)))
            if versions:
                events.append((instants[versions - 1], "pps", (reg, versions, set_id, pps_versions)))
            if ppac:
                events.append((instants[-1] + timedelta(days=30), "ppac", patients[patient]))
    events.sort(key=lambda e: (e[0], e[1]))
    for at, kind, payload in events:
        if kind == "fiche":
            reg, version, set_id = payload
            fiche = validated(reg, at, by=signer, version=version, set_id=set_id)
            fiche_validated.send(sender=Fiche, fiche=fiche)
        elif kind == "pps":
            reg, version, set_id, pps_versions = payload
            fiche = Fiche.objects.get(set_id=set_id, version_number=version)
            plan_set = uuid.uuid4()
            for v in range(1, pps_versions + 1):
                care = validated_plan(fiche, reg.patient, at + timedelta(days=v), version=v, set_id=plan_set,
                                      by=signer)
                care_plan_validated.send(sender=CarePlan, plan=care)
        else:
            care = validated_plan(None, payload, at, kind=CarePlan.Kind.PPAC, by=signer)
            care_plan_validated.send(sender=CarePlan, plan=care)


def by_year() -> Counter:
    counts = Counter()
    for day, board_id, kind, n in DailyActivity.objects.values_list("day", "board_id", "kind", "count"):
        counts[(day.year, board_id, kind)] += n
    return +counts


class Rollback(Exception):
    pass


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(plan=st.lists(meeting, max_size=5, unique_by=lambda m: (m[0], m[1] + timedelta(minutes=m[2]))))
def test_rollups_equal_a_direct_count(region, plan):
    plan = normalise(plan)
    boards = [region.board_north, region.board_south]
    expected, discussed = direct_count(plan, boards)
    try:
        with transaction.atomic():
            patients = [f.PatientFactory() for _ in range(4)]
            signer = region.users["doctor"]
            replay(plan, boards, patients, signer)
            assert by_year() == +expected
            pks = [p.pk for p in patients]
            assert set(DiscussedPatient.objects.values_list("year", "board_id", "patient_id")) == {
                (y, b, pks[p]) for y, b, p in discussed}
            incremental = counters()
            rollups.rebuild()
            assert counters() == incremental
            for year in (2024, 2025, 2026):
                region_figures = figures.values(year=year, scope=scopes.region())
                assert region_figures["fiches"] == sum(n for (y, _, k), n in expected.items()
                                                       if y == year and k == "fiche")
                assert region_figures["ppac"] == sum(n for (y, _, k), n in expected.items()
                                                     if y == year and k == "ppac")
                south = figures.values(year=year, scope=scopes.of_board(region.board_south))
                assert south["meetings"] == expected[(year, region.board_south.pk, "meeting_held")]
                table = activity.table(year=year, scope=scopes.region())
                assert table.total.patients == len({p for y, _, p in discussed if y == year})
            raise Rollback
    except Rollback:
        pass


def test_rebuild_of_one_year_leaves_the_others(region):
    rng = random.Random(4)
    for year in (2024, 2025):
        m = meeting_at(region.board_north, paris(year, 5, 1 + rng.randint(0, 20), 17))
        validated(registration(m), paris(year, 6, 1, 9))
    rollups.rebuild()
    before = counters()
    DailyActivity.objects.filter(day__year=2025).update(count=99)
    rollups.rebuild(year=2025)
    assert counters() == before
