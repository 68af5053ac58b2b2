"""The RCP policy: boards, meetings, the cases on their lists, fiches (ADR 0006). It also registers the relations
with a patient that the RCP creates, so that the patient policy never imports this app.

- Working in a board (its members, coordinator, secretaries; the 3C's secretaries and coordinators) opens the
  cases on its lists: the patients with an *active* registration (a withdrawn one no longer opens anything).
- Organising a board (coordinator, secretaries, and the 3C/DSRC administrators over it) means its meetings,
  their status and the order of the list: administrators see the schedule and how many cases are listed, never
  the cases themselves unless they are also practitioners of the board.
- A fiche is signed by the board's coordinator or, unless the board reserves it to its coordinator
  (Board.signers), a doctor present at the meeting; double signature asks two of them (services.fiches).
- A fiche is read by whoever opens its patient's record once validated (the GP included); a draft only by
  those who work on the case (not the GP's reading relation).
"""

from django.db.models import Q, QuerySet

from oncodcc.accounts.models import Role
from oncodcc.core.policy import CASE_WORKER_ROLES, is_signed_in, patient_relation, register
from oncodcc.patients.policy import reads_document

from .models import Attendance, Board, BoardMember, Fiche, Registration

WORK_IN_BOARD = "board.work_in"
ORGANISE_BOARD = "board.organise"
RUN_MEETING = "meeting.run"
VIEW_CASES = "meeting.view_cases"
SIGN_FICHE = "fiche.sign"
VIEW_FICHE = "fiche.view"


def _active_registrations():
    return Registration.objects.filter(status__in=Registration.ACTIVE_STATUSES)


def _member_boards(user) -> QuerySet[Board]:
    return Board.objects.filter(members__practitioner_id=user.practitioner_id) if user.practitioner_id else \
        Board.objects.none()


def _case_work_boards(user) -> Q | None:
    """Boards whose cases a secretary or a coordinator handles without being a member."""
    if user.role not in CASE_WORKER_ROLES:
        return None
    q = Q(secretaries=user)
    if user.organisation_id and user.role in {Role.SECRETARY, Role.COORDINATOR}:
        q |= Q(managing_3c_id=user.organisation_id)
    return q


def _administered_boards(user) -> Q | None:
    if user.organisation_id and user.role == Role.ADMIN_3C:
        return Q(managing_3c_id=user.organisation_id)
    if user.organisation_id and user.role == Role.ADMIN_DSRC:
        return Q(managing_3c__parent_id=user.organisation_id)
    return None


# --- relations with a patient -----------------------------------------------------------------------------------


@patient_relation("board_member", "Membre d'une RCP où le patient est inscrit", clinical=True)
def _registered_on_my_boards(user) -> Q | None:
    if not user.practitioner_id:
        return None
    return Q(pk__in=_active_registrations().filter(meeting__board__in=_member_boards(user)).values("patient_id"))


@patient_relation("board_staff", "Secrétariat d'une RCP où le patient est inscrit")
def _registered_on_boards_i_serve(user) -> Q | None:
    boards = _case_work_boards(user)
    if boards is None:
        return None
    return Q(pk__in=_active_registrations().filter(
        meeting__board__in=Board.objects.filter(boards)).values("patient_id"))


@patient_relation("registration_doctor", "Médecin demandeur ou présentateur d'une inscription", clinical=True)
def _doctor_of_a_registration(user) -> Q | None:
    if not user.practitioner_id:
        return None
    return Q(pk__in=_active_registrations().filter(
        Q(requesting_doctor_id=user.practitioner_id) | Q(presenting_doctor_id=user.practitioner_id)
    ).values("patient_id"))


# --- boards -------------------------------------------------------------------------------------------------------


def case_boards(user) -> QuerySet[Board]:
    """Boards whose cases the user sees: member (practitioner), secretary, the 3C's case workers."""
    if not is_signed_in(user):
        return Board.objects.none()
    q = Q(pk__in=[])
    if user.practitioner_id:
        q |= Q(members__practitioner_id=user.practitioner_id)
    case_work = _case_work_boards(user)
    if case_work is not None:
        q |= case_work
    return Board.objects.filter(pk__in=Board.objects.filter(q).values("pk"))


def boards_of(user) -> QuerySet[Board]:
    """Boards the user works in or organises: the lists of every screen (home, calendar, meetings)."""
    if not is_signed_in(user):
        return Board.objects.none()
    q = Q(pk__in=case_boards(user).values("pk"))
    administered = _administered_boards(user)
    if administered is not None:
        q |= administered
    return Board.objects.filter(pk__in=Board.objects.filter(q).values("pk"))


@register(WORK_IN_BOARD, "Travailler dans une RCP (ses séances, son calendrier)")
def works_in_board(user, board) -> bool:
    return board is not None and boards_of(user).filter(pk=getattr(board, "pk", board)).exists()


@register(VIEW_CASES, "Voir les dossiers inscrits à une séance (mode RCP)")
def sees_cases(user, board) -> bool:
    return board is not None and case_boards(user).filter(pk=getattr(board, "pk", board)).exists()


@register(ORGANISE_BOARD, "Organiser une RCP (séances, ordre de passage)")
def is_board_staff(user, board: Board) -> bool:
    """Coordinator or secretary of the board, or 3C/DSRC administrator over it."""
    if not is_signed_in(user) or board is None:
        return False
    if board.secretaries.filter(pk=user.pk).exists():
        return True
    if user.practitioner_id and board.members.filter(practitioner_id=user.practitioner_id, is_coordinator=True).exists():
        return True
    administered = _administered_boards(user)
    return administered is not None and Board.objects.filter(administered, pk=board.pk).exists()


def is_member(user, board: Board) -> bool:
    return bool(getattr(user, "practitioner_id", None)) and board.members.filter(
        practitioner_id=user.practitioner_id).exists()


@register(RUN_MEETING, "Conduire une séance (statut, présences)")
def runs_meeting(user, board: Board) -> bool:
    return is_board_staff(user, board) or is_member(user, board)


@register(SIGN_FICHE, "Signer (valider) une fiche RCP")
def can_sign(user, fiche) -> bool:
    """The board's signature rule (Board.signers): its coordinator always; a doctor present at the meeting
    unless the board reserves the signature to its coordinator. With double signature, each of the two
    signers must hold this permission."""
    if not is_signed_in(user) or not getattr(user, "practitioner_id", None) or fiche is None:
        return False
    meeting = fiche.registration.meeting
    if BoardMember.objects.filter(board_id=meeting.board_id, practitioner_id=user.practitioner_id,
                                  is_coordinator=True).exists():
        return True
    if meeting.board.signers == Board.Signers.COORDINATORS:
        return False
    return Attendance.objects.filter(meeting=meeting, practitioner_id=user.practitioner_id).exists()


@register(VIEW_FICHE, "Lire une fiche RCP (brouillon : seulement ceux qui travaillent sur le dossier)")
def can_view_fiche(user, fiche) -> bool:
    if fiche is None:
        return False
    return reads_document(user, fiche.patient, draft=fiche.status == Fiche.Status.DRAFT)
