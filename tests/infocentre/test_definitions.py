"""The seven figures' definitions on hand-built data: first validations vs corrections, meetings held,
postponed and withdrawn cases, PPS vs PPAC, merged records, accounts, scopes, and the years' edges in
Europe/Paris."""

from datetime import UTC, date

from django.contrib.auth.signals import user_logged_in
from django.test import RequestFactory
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.careplans.models import CarePlan
from oncodcc.infocentre import figures, rollups, scopes
from oncodcc.infocentre.models import SignInDay
from oncodcc.rcp.models import Registration
from tests import factories as f

from .conftest import meeting_at, paris, registration, validated, validated_plan


def region_values(year):
    return figures.values(year=year, scope=scopes.region())


def test_a_fiche_counts_once_at_its_first_validation_and_corrections_apart(region):
    meeting = meeting_at(region.board_north, paris(2025, 3, 10, 17))
    first = validated(registration(meeting), paris(2025, 3, 11, 9))
    validated(first.registration, paris(2025, 4, 1, 9), version=2, set_id=first.set_id)
    validated(first.registration, paris(2026, 1, 5, 9), version=3, set_id=first.set_id)
    validated(registration(meeting), paris(2025, 5, 5, 9))
    rollups.rebuild()
    v2025, v2026 = region_values(2025), region_values(2026)
    assert (v2025["fiches"], v2025["corrections"]) == (2, 1)
    assert (v2026["fiches"], v2026["corrections"]) == (0, 1)
    assert v2025["meetings"] == 1 and v2026["meetings"] == 0


def test_a_meeting_is_held_when_one_of_its_cases_has_a_validated_fiche(region):
    held = meeting_at(region.board_north, paris(2025, 6, 3, 17))
    validated(registration(held), paris(2025, 6, 4, 9))
    registration(held, status=Registration.Status.WITHDRAWN)
    # Only postponed, withdrawn or still-draft cases: not held.
    empty = meeting_at(region.board_north, paris(2025, 6, 17, 17))
    registration(empty, status=Registration.Status.MOVED)
    registration(empty, status=Registration.Status.WITHDRAWN)
    draft = registration(empty)
    f.complete_fiche(draft, created_by=f.UserFactory())
    meeting_at(region.board_south, paris(2025, 7, 1, 17))
    rollups.rebuild()
    assert region_values(2025)["meetings"] == 1
    assert region_values(2025)["fiches"] == 1


def test_years_edges_follow_europe_paris(region):
    # 31 December 23:30 in Paris is still 2025 (22:30 UTC); the fiche signed at 00:30 on 1 January in Paris
    # (23:30 UTC on 31 December) belongs to 2026.
    late = meeting_at(region.board_north, paris(2025, 12, 31, 23, 30))
    fiche = validated(registration(late), paris(2026, 1, 1, 0, 30))
    assert fiche.validated_at.astimezone(UTC).year == 2025
    # 1 January 00:15 in Paris is 23:15 UTC on 31 December: a 2026 meeting.
    early = meeting_at(region.board_north, paris(2026, 1, 1, 0, 15))
    validated(registration(early), paris(2026, 1, 2, 10))
    rollups.rebuild()
    v2025, v2026 = region_values(2025), region_values(2026)
    assert (v2025["meetings"], v2025["fiches"]) == (1, 0)
    assert (v2026["meetings"], v2026["fiches"]) == (1, 2)


def test_pps_first_validations_with_updates_and_ppac_apart(region):
    meeting = meeting_at(region.board_north, paris(2025, 2, 4, 17))
    fiche = validated(registration(meeting), paris(2025, 2, 5, 9))
    pps = validated_plan(fiche, fiche.patient, paris(2025, 2, 20, 9))
    validated_plan(fiche, fiche.patient, paris(2025, 9, 1, 9), version=2, set_id=pps.set_id)
    validated_plan(None, fiche.patient, paris(2025, 11, 1, 9), kind=CarePlan.Kind.PPAC)
    rollups.rebuild()
    v = region_values(2025)
    assert (v["pps"], v["pps_updates"], v["ppac"]) == (1, 1, 1)
    # The PPAC has no fiche, hence no board: it counts for the region only.
    board = figures.values(year=2025, scope=scopes.of_board(region.board_north))
    assert (board["pps"], board["pps_updates"], board["ppac"]) == (1, 1, 0)


def test_new_and_total_patients_exclude_merged_records(region):
    old, kept, merged = f.PatientFactory(), f.PatientFactory(), f.PatientFactory()
    type(old).objects.filter(pk=old.pk).update(created_at=paris(2024, 12, 31, 23, 30))
    type(old).objects.filter(pk__in=[kept.pk, merged.pk]).update(created_at=paris(2025, 1, 1, 0, 30))
    type(old).objects.filter(pk=merged.pk).update(merged_into=kept)
    assert (region_values(2024)["new_patients"], region_values(2024)["patients_total"]) == (1, 1)
    assert (region_values(2025)["new_patients"], region_values(2025)["patients_total"]) == (1, 2)


def test_new_users_by_date_joined_and_active_users_by_sign_in_days(region):
    users = region.users
    type(users["doctor"]).objects.filter(pk=users["doctor"].pk).update(date_joined=paris(2025, 12, 31, 23, 59))
    type(users["doctor"]).objects.exclude(pk=users["doctor"].pk).update(date_joined=paris(2024, 5, 1, 9))
    assert region_values(2025)["new_users"] == 1
    # A login writes the day; two logins the same day count once; last_login alone is not used.
    request = RequestFactory().get("/")
    user_logged_in.send(sender=type(users["dsrc"]), request=request, user=users["dsrc"])
    user_logged_in.send(sender=type(users["dsrc"]), request=request, user=users["dsrc"])
    rollups.note_sign_in(user=users["doctor"], instant=paris(2025, 12, 31, 23, 30))
    rollups.note_sign_in(user=users["admin3c"], instant=paris(2026, 1, 1, 0, 10))
    this_year = timezone.localdate().year
    assert SignInDay.objects.filter(user=users["dsrc"]).count() == 1
    assert region_values(2025)["active_users"] == 1
    assert region_values(this_year)["active_users"] == (2 if this_year == 2026 else 1)


def test_sign_in_days_are_backfilled_from_the_audit_trail(region):
    audit.record(actor=region.users["coord3c"], action=Action.LOGIN)
    assert not SignInDay.objects.exists()
    rollups.rebuild(year=timezone.localdate().year)
    assert list(SignInDay.objects.values_list("user_id", flat=True)) == [region.users["coord3c"].pk]


def test_scopes_narrow_activity_users_and_patients(region):
    north = meeting_at(region.board_north, paris(2025, 3, 4, 17))
    south = meeting_at(region.board_south, paris(2025, 3, 5, 17))
    for _ in range(3):
        validated(registration(north), paris(2025, 3, 6, 9))
    validated(registration(south), paris(2025, 3, 7, 9))
    rollups.rebuild()
    by_scope = {
        "region": 4, "territory:NORD": 3, "territory:SUD": 1, f"3c:{region.ccc_south.national_id}": 1,
        f"hospital:{region.hospital.finess}": 3, f"board:{region.board_south.pk}": 1, "organ:MED-251": 1,
    }
    for token, fiches in by_scope.items():
        assert figures.values(year=2025, scope=scopes.parse(token))["fiches"] == fiches, token
    north_scope = scopes.parse("territory:NORD")
    assert set(scopes.users(north_scope)) == {region.users["admin3c"], region.users["coord3c"],
                                               region.users["doctor"], region.users["secretary"]}
    assert scopes.patients(north_scope).count() == 3


def test_the_figures_carry_the_previous_year_and_the_change(region):
    meeting = meeting_at(region.board_north, paris(2024, 3, 4, 17))
    validated(registration(meeting), paris(2024, 3, 5, 9))
    for day in (5, 6):
        meeting = meeting_at(region.board_north, paris(2025, 3, day, 17))
        validated(registration(meeting), paris(2025, 3, day, 19))
    rollups.rebuild()
    result = figures.compute(year=2025, scope=scopes.region())
    meetings = next(fig for fig in result.main if fig.key == "meetings")
    assert (meetings.value, meetings.previous, meetings.change, meetings.change_percent) == (2, 1, 1, 100.0)
    assert [fig.key for fig in result.main] == ["meetings", "fiches", "pps", "active_users", "new_users",
                                                "new_patients", "patients_total"]
    assert figures.monthly(year=2025, scope=scopes.region())[2] == {"month": 3, "meetings": 2, "fiches": 2, "pps": 0}
    assert date(2025, 3, 5) in {row.day for row in rollups.DailyActivity.objects.all()}
