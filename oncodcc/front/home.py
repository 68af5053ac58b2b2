"""Home page per role: my next meetings, the cases I registered, the fiches waiting for my validation, and each
role's worklists (oncodcc.front.worklists): the secretary's incomplete files, meetings to prepare and fiches to
send, the doctor's
drafts, the meetings to close, the 3C administrator's meetings without quorum and documents in error, the DPO's
recent accesses outside relations; my patients' latest RCP proposals (GPs and
the doctors named on registrations)."""

from django.db.models import Exists, OuterRef, Q
from django.shortcuts import render
from django.utils import timezone

from oncodcc.accounts.models import Role
from oncodcc.audit.listing import record_shown
from oncodcc.audit.services import Action
from oncodcc.core.policy import has_permission
from oncodcc.diffusion.policy import VIEW_ERRORS
from oncodcc.patients import vigilance
from oncodcc.patients.policy import AUDIT_BREAK_GLASS, REGISTER, REVIEW_IDENTITIES
from oncodcc.rcp.models import Attendance, BoardMember, Fiche, Meeting, Registration
from oncodcc.rcp.policy import boards_of

from . import worklists
from .my_patients import my_patients_in_rcp

# Who prepares and closes meetings: the board's secretaries and coordinators.
PREPARES_MEETINGS = {Role.SECRETARY, Role.COORDINATOR}


def home(request):
    user = request.user
    now = timezone.now()
    boards = boards_of(user)
    next_meetings = (
        Meeting.objects.filter(board__in=boards, starts_at__gte=now - timezone.timedelta(hours=6))
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("board").order_by("starts_at")[:8]
    )
    mine = Q(created_by=user)
    if user.practitioner_id:
        mine |= Q(requesting_doctor_id=user.practitioner_id) | Q(presenting_doctor_id=user.practitioner_id)
    my_cases = (
        Registration.objects.filter(mine, status__in=Registration.ACTIVE_STATUSES,
                                    meeting__starts_at__gte=now - timezone.timedelta(days=1))
        .select_related("patient", "meeting__board").order_by("meeting__starts_at", "position", "pk")
    )
    waiting = Fiche.objects.filter(status=Fiche.Status.DRAFT, registration__meeting__board__in=boards)
    if user.role in {Role.DOCTOR, Role.COORDINATOR} and user.practitioner_id:
        # EXISTS rather than joins: no duplicate rows to remove (a DISTINCT over every column of the fiche).
        coordinates = BoardMember.objects.filter(board_id=OuterRef("registration__meeting__board_id"),
                                                 practitioner_id=user.practitioner_id, is_coordinator=True)
        attended = Attendance.objects.filter(meeting_id=OuterRef("registration__meeting_id"),
                                             practitioner_id=user.practitioner_id)
        waiting = waiting.filter(Exists(coordinates) | Exists(attended))
    waiting = (
        waiting.filter(registration__meeting__starts_at__lte=now)
        .select_related("patient", "registration__meeting__board")
        .order_by("registration__meeting__starts_at", "pk")
    )
    prepares = user.role in PREPARES_MEETINGS
    # Each list read among its own rows (the user's boards, their cases, their drafts), then one check of the access
    # rules over the patients they name (`first_visible`: the page stays bounded at regional scale).
    lists = {"my_cases": my_cases, "waiting": waiting}
    if prepares:
        lists["incomplete"] = worklists.incomplete_query(boards, now)
    if user.practitioner_id:
        lists["drafts"] = worklists.drafts_query(user)
    if user.role == Role.SECRETARY:
        lists["to_send"] = worklists.to_send_query(boards, now)
    shown_rows = worklists.first_visible(user, lists)
    my_cases, waiting = shown_rows["my_cases"], shown_rows["waiting"]
    incomplete, drafts = shown_rows.get("incomplete", []), shown_rows.get("drafts", [])
    to_send = worklists.fiches_to_send(shown_rows.get("to_send", []))
    administers = has_permission(user, VIEW_ERRORS)
    is_dpo = has_permission(user, AUDIT_BREAK_GLASS)
    my_patients = my_patients_in_rcp(user)
    shown = sorted({r.patient_id for r in my_cases} | {fiche.patient_id for fiche in waiting}
                   | {r.patient_id for r in incomplete} | {fiche.patient_id for fiche in drafts}
                   | {row.fiche.patient_id for row in to_send}
                   | {row.patient.pk for row in my_patients})
    if shown:
        # The work lists show patients' names: one event per patient shown (those of "Mes patients en RCP" with
        # the proposal shown).
        record_shown(actor=user, action=Action.PATIENT_LIST, patient_ids=shown, details={"page": "home"},
                     per_patient={row.patient.pk: {"proposal_of_fiche": row.fiche.pk} for row in my_patients})
    reviews_identities = has_permission(user, REVIEW_IDENTITIES)
    return render(request, "front/home.html", {
        "next_meetings": next_meetings, "my_cases": my_cases, "waiting_fiches": waiting,
        # Doctors (their GP patients, the registrations that name them): the latest validated proposals.
        "shows_my_patients": bool(user.practitioner_id), "my_patients": my_patients,
        # Each role sees its own work: the meetings to those who work in or organise boards, the cases and the
        # fiches to those who work on cases (not the DPO, whose home is the protection of data).
        "shows_meetings": boards.exists(), "works_on_cases": has_permission(user, REGISTER),
        "is_dpo": is_dpo,
        "recent_break_glass": worklists.recent_break_glass(now) if is_dpo else 0,
        # Worklists: patients only to those who work on cases; meetings and counts to the administrators.
        "incomplete_registrations": incomplete, "my_drafts": drafts, "fiches_to_send": to_send,
        "meetings_to_prepare": worklists.meetings_to_prepare(boards, now) if prepares else [],
        "meetings_to_close": worklists.meetings_to_close(_closing_boards(user, boards, prepares), now),
        "administers": administers,
        "meetings_without_quorum": worklists.meetings_without_quorum(boards, now) if administers else [],
        "documents_in_error": worklists.documents_in_error(user) if administers else 0,
        # DSRC administrators: the identity vigilance worklist and how many records wait there.
        "reviews_identities": reviews_identities,
        "potential_duplicates": vigilance.flagged_count() if reviews_identities else 0,
    })


def _closing_boards(user, boards, prepares: bool):
    """The boards whose meetings the user closes: all of theirs for secretaries and coordinators, the boards they
    coordinate for a doctor."""
    if prepares:
        return boards
    if user.practitioner_id:
        return boards.filter(members__practitioner_id=user.practitioner_id, members__is_coordinator=True)
    return boards.none()
