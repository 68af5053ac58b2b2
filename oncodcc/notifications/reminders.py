"""Meeting reminders: DCC_MEETING_REMINDER_DAYS days before a meeting, each permanent member of the board gets one
email (once: keyed on meeting and member) with the date, the place, the video-conference link and the list of the
cases, identities masked — initials and year of birth, and whether the case is a first presentation.

The list goes to a member only when the policy lets their account see the meeting's cases (`meeting.view_cases`);
a member without an account gets the reminder with the number of cases alone. Each patient listed gets one audit
event per meeting (`notification.meeting_reminder`), so their access history shows who was sent what."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from oncodcc.accounts.models import User
from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import has_permission
from oncodcc.rcp.models import PARIS, BoardMember, Fiche, Meeting, Registration
from oncodcc.rcp.policy import VIEW_CASES

from . import outbox, recipients
from .models import Notification


@dataclass(frozen=True)
class MaskedCase:
    patient_id: int  # for the audit event, never written in the email
    position: int
    initials: str
    born: str  # "né" / "née", agreed with the patient's sex
    birth_year: int
    kind: str  # "première présentation" / "dossier déjà présenté en RCP"


@dataclass
class PlannedReminder:
    meeting: Meeting
    recipient: outbox.Recipient
    with_cases: bool
    key: str


def initials(patient) -> str:
    given = (patient.used_given_name or patient.first_birth_given_name or "?").strip()
    name = (patient.used_name or patient.birth_name or "?").strip()
    return f"{given[:1].upper()}. {name[:1].upper()}."


def masked_cases(meeting: Meeting) -> list[MaskedCase]:
    registrations = list(meeting.registrations.filter(status__in=Registration.ACTIVE_STATUSES)
                         .select_related("patient").order_by("position", "pk"))
    discussed_before = set(
        Fiche.objects.filter(patient_id__in=[r.patient_id for r in registrations],
                             status__in=[Fiche.Status.VALIDATED, Fiche.Status.SUPERSEDED])
        .exclude(registration__meeting=meeting).values_list("patient_id", flat=True))
    return [MaskedCase(patient_id=r.patient_id, position=i, initials=initials(r.patient), born=r.patient.born,
                       birth_year=r.patient.birth_date.year,
                       kind="dossier déjà présenté en RCP" if r.patient_id in discussed_before
                       else "première présentation")
            for i, r in enumerate(registrations, start=1)]


def due_meetings(now=None):
    """Meetings held within DCC_MEETING_REMINDER_DAYS days (Paris calendar days), not yet started, not cancelled."""
    now = now or timezone.now()
    today = timezone.localdate(now, PARIS)
    until = datetime.combine(today + timedelta(days=settings.DCC_MEETING_REMINDER_DAYS + 1), time(0), tzinfo=PARIS)
    return (Meeting.objects.filter(starts_at__gt=now, starts_at__lt=until, board__active=True,
                                   status__in=[Meeting.Status.PLANNED, Meeting.Status.OPEN])
            .select_related("board", "location").order_by("starts_at", "pk"))


def _key(meeting: Meeting, practitioner_id: int) -> str:
    return f"reminder:{meeting.pk}:{practitioner_id}"


def planned(now=None) -> list[PlannedReminder]:
    """The reminders due now and not yet queued (what `--dry-run` lists)."""
    found = []
    for meeting in due_meetings(now):
        members = [m.practitioner for m in BoardMember.objects.filter(board=meeting.board, practitioner__active=True)
                   .select_related("practitioner").order_by("practitioner__last_name", "pk")]
        keys = {_key(meeting, p.pk): p for p in members}
        done = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
        todo = [p for key, p in keys.items() if key not in done]
        if not todo:
            continue
        addresses = recipients.for_practitioners(todo)
        accounts = User.objects.in_bulk([r.user_id for r in addresses.values() if r.user_id])
        for practitioner in todo:
            recipient = addresses.get(practitioner.pk)
            if recipient is None:
                continue
            account = accounts.get(recipient.user_id)
            with_cases = account is not None and has_permission(account, VIEW_CASES, meeting.board)
            found.append(PlannedReminder(meeting, recipient, with_cases, _key(meeting, practitioner.pk)))
    return found


def _body(meeting: Meeting, cases: list[MaskedCase], *, with_cases: bool) -> str:
    with translation.override("fr"):
        return render_to_string("notifications/email/meeting_reminder.txt", {
            "meeting": meeting, "start": meeting.local_start, "cases": cases, "with_cases": with_cases,
            "link": recipients.site_link(reverse("rcp:meeting_detail", args=[meeting.pk])),
        })


def _subject(meeting: Meeting) -> str:
    with translation.override("fr"):
        return f"Rappel : {meeting.board.name}, séance du {date_format(meeting.local_start, 'l j F Y')}"


def queue_due(now=None) -> list[Notification]:
    """Queue every reminder due now (idempotent: a member is reminded of a meeting once)."""
    created = []
    by_meeting: dict[int, list[PlannedReminder]] = {}
    for reminder in planned(now):
        by_meeting.setdefault(reminder.meeting.pk, []).append(reminder)
    for batch in by_meeting.values():
        meeting = batch[0].meeting
        with transaction.atomic():
            cases = masked_cases(meeting)
            told = []
            for reminder in batch:
                notification = outbox.queue(
                    kind=Notification.Kind.MEETING_REMINDER, key=reminder.key, recipient=reminder.recipient,
                    subject=_subject(meeting), body=_body(meeting, cases, with_cases=reminder.with_cases),
                    meeting_id=meeting.pk)
                if notification is not None:
                    created.append(notification)
                    told.append(reminder)
            if told:
                outbox.send_after_commit()
            listed = [r for r in told if r.with_cases]
            if listed and cases:
                audit.record_many(actor=None, action=Action.NOTIFICATION_MEETING_REMINDER,
                                  patient_ids=[c.patient_id for c in cases], obj=meeting,
                                  details={"recipients": len(listed), "masked": True})
    return created
