"""The rollup tables: maintained at each validation (fiches RCP, PPS/PPAC) by the receivers of the rcp and
careplans signals, and rebuilt from the facts by `rebuild` (`dcc stats refresh`, the worker task, the demo
loader). Both paths follow the same definitions, so that the figures never depend on how the counters were made:

- a fiche RCP counts once, on the day (Europe/Paris) of its *first* validation (version 1); the validation of a
  correction (version 2, 3…) counts apart, on its own day;
- a meeting is *held* when at least one of its cases has a validated fiche: it counts once, on the meeting's day
  (Europe/Paris), whenever its first fiche is validated;
- a PPS counts on the day of its first validation, its updates apart, the PPAC apart;
- a patient is *discussed* on a board in a year when a fiche of theirs is first validated that year;
- a case is *postponed* when its registration is moved to another meeting (at closing, for want of quorum, or by
  hand): it counts once, on the day (Europe/Paris) of the meeting it was postponed from, for that meeting's board.
"""

from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef
from django.db.models.functions import TruncDate
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.careplans.models import CarePlan
from oncodcc.rcp.models import PARIS, Fiche, Meeting, Registration

from .models import DailyActivity, DiscussedPatient, Kind, SignInDay

ACTION_REFRESH = "infocentre.refresh"


def paris_day(instant: datetime) -> date:
    return timezone.localtime(instant, PARIS).date()


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """[1 January 00:00, next 1 January 00:00) in Europe/Paris, as aware instants."""
    return datetime(year, 1, 1, tzinfo=PARIS), datetime(year + 1, 1, 1, tzinfo=PARIS)


def bump(*, day: date, board_id: int | None, kind: str, n: int = 1) -> None:
    """Add `n` to one counter, creating it when needed (safe under concurrent writers)."""
    rows = DailyActivity.objects.filter(day=day, board_id=board_id, kind=kind)
    if rows.update(count=F("count") + n):
        return
    try:
        with transaction.atomic():
            DailyActivity.objects.create(day=day, board_id=board_id, kind=kind, count=n)
    except IntegrityError:
        rows.update(count=F("count") + n)


def _first_validations(**filters):
    return Fiche.objects.filter(version_number=1, validated_at__isnull=False, **filters)


def on_fiche_validated(*, fiche: Fiche) -> None:
    meeting = Meeting.objects.select_for_update().get(pk=fiche.registration.meeting_id)
    day = paris_day(fiche.validated_at)
    if fiche.version_number > 1:
        bump(day=day, board_id=meeting.board_id, kind=Kind.FICHE_CORRECTION)
        return
    bump(day=day, board_id=meeting.board_id, kind=Kind.FICHE)
    DiscussedPatient.objects.get_or_create(year=day.year, board_id=meeting.board_id, patient_id=fiche.patient_id)
    if not _first_validations(registration__meeting_id=meeting.pk).exclude(pk=fiche.pk).exists():
        bump(day=paris_day(meeting.starts_at), board_id=meeting.board_id, kind=Kind.MEETING_HELD)


def on_case_postponed(*, registration: Registration) -> None:
    meeting = registration.meeting
    bump(day=paris_day(meeting.starts_at), board_id=meeting.board_id, kind=Kind.POSTPONED)


def care_plan_kind(kind: str, version_number: int) -> str:
    if kind == CarePlan.Kind.PPAC:
        return Kind.PPAC if version_number == 1 else ""
    return Kind.PPS if version_number == 1 else Kind.PPS_UPDATE


def _care_plan_board_id(plan: CarePlan) -> int | None:
    if plan.fiche_id is None:
        return None
    return Fiche.objects.filter(pk=plan.fiche_id).values_list("registration__meeting__board_id", flat=True).first()


def on_care_plan_validated(*, plan: CarePlan) -> None:
    kind = care_plan_kind(plan.kind, plan.version_number)
    if kind:  # a PPAC's own updates are not counted
        bump(day=paris_day(plan.validated_at), board_id=_care_plan_board_id(plan), kind=kind)


def note_sign_in(*, user, instant: datetime) -> None:
    SignInDay.objects.get_or_create(user_id=user.pk, day=paris_day(instant))


# --- rebuild from the facts ------------------------------------------------------------------------------------


def _counted(queryset, *, instant: str, board: str) -> list[tuple[date, int | None, int]]:
    rows = (queryset.annotate(day=TruncDate(instant, tzinfo=PARIS)).values("day", board)
            .annotate(n=Count("pk")).values_list("day", board, "n"))
    return list(rows)


def _facts(year: int | None) -> dict[str, list[tuple[date, int | None, int]]]:
    def within(field: str) -> dict:
        if year is None:
            return {}
        start, end = year_bounds(year)
        return {f"{field}__gte": start, f"{field}__lt": end}

    fiches = Fiche.objects.filter(validated_at__isnull=False, **within("validated_at"))
    board = "registration__meeting__board_id"
    held = Meeting.objects.filter(Exists(_first_validations(registration__meeting_id=OuterRef("pk"))),
                                  **within("starts_at"))
    plans = CarePlan.objects.filter(validated_at__isnull=False, **within("validated_at"))
    plan_board = "fiche__registration__meeting__board_id"
    return {
        Kind.FICHE: _counted(fiches.filter(version_number=1), instant="validated_at", board=board),
        Kind.FICHE_CORRECTION: _counted(fiches.filter(version_number__gt=1), instant="validated_at", board=board),
        Kind.MEETING_HELD: _counted(held, instant="starts_at", board="board_id"),
        Kind.POSTPONED: _counted(Registration.objects.filter(status=Registration.Status.MOVED,
                                                             **within("meeting__starts_at")),
                                 instant="meeting__starts_at", board="meeting__board_id"),
        Kind.PPS: _counted(plans.filter(kind=CarePlan.Kind.PPS, version_number=1), instant="validated_at",
                           board=plan_board),
        Kind.PPS_UPDATE: _counted(plans.filter(kind=CarePlan.Kind.PPS, version_number__gt=1),
                                  instant="validated_at", board=plan_board),
        Kind.PPAC: _counted(plans.filter(kind=CarePlan.Kind.PPAC, version_number=1), instant="validated_at",
                            board=plan_board),
    }


@transaction.atomic
def rebuild(*, year: int | None = None, audited: bool = True) -> dict[str, int]:
    """Recompute the counters (of one year, or all) and the patients discussed from the fact tables; fill the
    sign-in days from the audit trail's logins. Returns the totals per kind. `audited=False` for a caller that
    records its own event (the demo loader)."""
    counters = DailyActivity.objects.all()
    discussed = DiscussedPatient.objects.all()
    if year is not None:
        counters = counters.filter(day__gte=date(year, 1, 1), day__lte=date(year, 12, 31))
        discussed = discussed.filter(year=year)
    counters.delete()
    discussed.delete()
    totals = {}
    rows = []
    for kind, facts in _facts(year).items():
        merged: dict[tuple[date, int | None], int] = {}
        for day, board_id, n in facts:
            merged[(day, board_id)] = merged.get((day, board_id), 0) + n
        rows.extend(DailyActivity(day=day, board_id=board_id, kind=kind, count=n)
                    for (day, board_id), n in merged.items())
        totals[str(kind)] = sum(merged.values())
    DailyActivity.objects.bulk_create(rows, batch_size=2000)
    _rebuild_discussed(year)
    totals["sign_in_days"] = backfill_sign_ins(year=year)
    if audited:
        audit.record(actor=None, action=ACTION_REFRESH, details={"year": year, **totals})
    return totals


def _rebuild_discussed(year: int | None) -> None:
    first = _first_validations()
    if year is not None:
        start, end = year_bounds(year)
        first = first.filter(validated_at__gte=start, validated_at__lt=end)
    seen: set[tuple[int, int, int]] = set()
    for instant, board_id, patient_id in first.values_list(
            "validated_at", "registration__meeting__board_id", "patient_id").iterator(chunk_size=5000):
        seen.add((paris_day(instant).year, board_id, patient_id))
    DiscussedPatient.objects.bulk_create(
        [DiscussedPatient(year=y, board_id=b, patient_id=p) for y, b, p in sorted(seen)], batch_size=5000)


def backfill_sign_ins(*, year: int | None = None) -> int:
    """Sign-in days from the audit trail's `auth.login` events (idempotent). Returns the days seen."""
    events = AuditEvent.objects.filter(action=Action.LOGIN, actor_id__isnull=False)
    if year is not None:
        start, end = year_bounds(year)
        events = events.filter(occurred_at__gte=start, occurred_at__lt=end)
    days = {(actor_id, paris_day(instant)) for actor_id, instant in events.values_list("actor_id", "occurred_at")}
    existing_users = set(get_user_model().objects.filter(pk__in={u for u, _ in days}).values_list("pk", flat=True))
    rows = [SignInDay(user_id=u, day=d) for u, d in days if u in existing_users]
    SignInDay.objects.bulk_create(rows, ignore_conflicts=True, batch_size=5000)
    return len(rows)
