"""Registrations: put a case on a meeting's list, move it, withdraw it, order the list."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.text import has_control_chars
from oncodcc.patients.policy import BREAK_GLASS, EDIT, REGISTER, VIEW_RECORD, AccessDenied, has_permission
from oncodcc.questionnaires import services as organ_forms

from .. import signals
from ..models import Fiche, Meeting, Registration
from ..policy import ORGANISE_BOARD

MAX_TEXT = 20_000


def next_meeting(meeting: Meeting) -> Meeting | None:
    return (
        Meeting.objects.filter(board=meeting.board, starts_at__gt=meeting.starts_at, status=Meeting.Status.PLANNED)
        .order_by("starts_at")
        .first()
    )


def _check_can_register(actor, meeting: Meeting) -> None:
    if not has_permission(actor, REGISTER):
        raise PermissionDenied("Inscription réservée aux médecins et secrétaires.")
    if meeting.status in {Meeting.Status.CLOSED, Meeting.Status.CANCELLED}:
        raise ValidationError({"meeting": "Cette séance est clôturée ou annulée : choisissez une autre séance."})
    # After the deadline, only the board's secretariat (and coordinator) may still add a case.
    if not meeting.registrations_open() and not has_permission(actor, ORGANISE_BOARD, meeting.board):
        deadline = timezone.localtime(meeting.registration_deadline, meeting.local_start.tzinfo)
        raise ValidationError(
            {"meeting": f"Les inscriptions à cette séance sont closes depuis le {deadline:%d/%m/%Y à %H:%M} : "
                        "contactez le secrétariat de la RCP ou choisissez la séance suivante."}
        )


def _clean_texts(question: str, case_summary: str) -> tuple[str, str]:
    errors = {}
    question = (question or "").strip()
    case_summary = (case_summary or "").strip()
    if not question:
        errors["question"] = "La question posée à la RCP est obligatoire."
    for name, value in (("question", question), ("case_summary", case_summary)):
        if has_control_chars(value):
            errors[name] = "Ce texte contient des caractères de contrôle non autorisés."
        elif len(value) > MAX_TEXT:
            errors[name] = f"Texte trop long ({len(value)} caractères, {MAX_TEXT} au plus)."
    if errors:
        raise ValidationError(errors)
    return question, case_summary


def _outside_relations_reason(actor, patient, reason: str) -> str | None:
    """Registering a patient one holds no relation with opens their record to the board: it is a
    break-the-glass, with a typed reason, listed for the DPO. None when the actor already has a relation."""
    if has_permission(actor, VIEW_RECORD, patient):
        return None
    if not has_permission(actor, BREAK_GLASS, patient):
        raise AccessDenied("Ce patient n'est pas dans vos dossiers : votre rôle ne permet pas de l'inscrire.")
    reason = " ".join((reason or "").split())
    if len(reason) < 15 or has_control_chars(reason):
        raise ValidationError({"outside_relations_reason": "Ce patient ne fait pas partie de vos dossiers : indiquez "
                               "la raison de cette inscription (au moins 15 caractères), elle est lue par le DPO."})
    return reason


@transaction.atomic
def register(*, actor, meeting: Meeting, patient, requesting_doctor, presenting_doctor, question: str,
             case_summary: str = "", complete_file: bool = False, form_url: str = "",
             outside_relations_reason: str = "") -> Registration:
    meeting = Meeting.objects.select_for_update().select_related("board").get(pk=meeting.pk)
    _check_can_register(actor, meeting)
    if patient.merged_into_id:
        raise ValidationError({"patient": "Ce dossier a été fusionné dans un autre : inscrivez le dossier conservé."})
    break_glass_reason = _outside_relations_reason(actor, patient, outside_relations_reason)
    question, case_summary = _clean_texts(question, case_summary)
    _check_form(form_url)
    if Registration.objects.filter(meeting=meeting, patient=patient, status__in=Registration.ACTIVE_STATUSES).exists():
        raise ValidationError({"patient": "Ce patient est déjà inscrit à cette séance."})
    position = (meeting.registrations.aggregate(m=Max("position"))["m"] or 0) + 1
    registration = Registration.objects.create(
        meeting=meeting, patient=patient, position=position, requesting_doctor=requesting_doctor,
        presenting_doctor=presenting_doctor, question=question, case_summary=case_summary,
        complete_file=complete_file, form_url=form_url, created_by=actor,
    )
    # The requesting and presenting doctors and the board see the record while the registration is active
    # (rcp.policy relations): nothing is added to the care team, so a withdrawal ends that access.
    if break_glass_reason is not None:
        audit.record(actor=actor, action=Action.BREAK_GLASS, patient=patient, obj=registration,
                     reason=break_glass_reason, details={"via": "registration", "meeting": meeting.pk})
    audit.record(actor=actor, action=Action.REGISTRATION_CREATE, patient=patient, obj=registration,
                 details={"meeting": meeting.pk, "board": meeting.board_id})
    return registration


@transaction.atomic
def update(*, actor, registration: Registration, expected_version: int, question: str, case_summary: str,
           requesting_doctor, presenting_doctor, complete_file: bool, form_url: str | None = None) -> Registration:
    from oncodcc.core.locking import conditional_update

    _check_can_edit(actor, registration)
    question, case_summary = _clean_texts(question, case_summary)
    form_changed = form_url is not None and form_url != registration.form_url
    if form_url is not None:
        _check_form(form_url)
        registration.form_url = form_url
    registration.question, registration.case_summary = question, case_summary
    registration.requesting_doctor, registration.presenting_doctor = requesting_doctor, presenting_doctor
    registration.complete_file = complete_file
    conditional_update(registration, expected_version=expected_version,
                       fields=["question", "case_summary", "requesting_doctor", "presenting_doctor", "complete_file",
                               "form_url"])
    if form_changed:
        for draft in registration.fiches.filter(status="draft"):
            organ_forms.repin_draft(draft)
    audit.record(actor=actor, action=Action.REGISTRATION_UPDATE, patient=registration.patient, obj=registration)
    return registration


def _check_form(form_url: str) -> None:
    if form_url and organ_forms.latest(form_url) is None:
        raise ValidationError({"form_url": "Formulaire d'organe inconnu ou retiré."})


def _check_can_edit(actor, registration: Registration) -> None:
    if not has_permission(actor, EDIT, registration.patient):
        raise PermissionDenied
    if not registration.is_active:
        raise ValidationError({"status": "Cette inscription n'est plus active (retirée ou reportée)."})


@transaction.atomic
def move(*, actor, registration: Registration, target: Meeting) -> Registration:
    """Report the case to another meeting (same board or another one): a new registration, the old one marked."""
    registration = Registration.objects.select_for_update().select_related("meeting__board", "patient").get(
        pk=registration.pk
    )
    _check_can_edit(actor, registration)
    if registration.fiches.filter(status="validated").exists():
        raise ValidationError({"meeting": "Une fiche validée existe pour ce passage : le dossier ne peut plus être reporté."})
    if target.pk == registration.meeting_id:
        raise ValidationError({"meeting": "Choisissez une autre séance."})
    new = register(
        actor=actor, meeting=target, patient=registration.patient,
        requesting_doctor=registration.requesting_doctor, presenting_doctor=registration.presenting_doctor,
        question=registration.question, case_summary=registration.case_summary,
        complete_file=registration.complete_file, form_url=registration.form_url,
    )
    # A draft fiche follows the case, and the new registration's state follows that fiche.
    if registration.fiches.filter(status=Fiche.Status.DRAFT).update(registration=new):
        new.status = Registration.Status.IN_PROGRESS
        new.save(update_fields=["status"])
    registration.status = Registration.Status.MOVED
    registration.moved_to = new
    registration.save(update_fields=["status", "moved_to"])
    audit.record(actor=actor, action=Action.REGISTRATION_MOVE, patient=registration.patient, obj=registration,
                 details={"from_meeting": registration.meeting_id, "to_meeting": target.pk, "new": new.pk})
    signals.case_postponed.send(sender=Registration, registration=registration, new=new)
    return new


@transaction.atomic
def reregister_to_next_meeting(*, actor, registration: Registration) -> Registration:
    """The one-click answer to 'quorum non atteint': the case goes to the board's next planned meeting."""
    target = next_meeting(registration.meeting)
    if target is None:
        raise ValidationError({"meeting": "Aucune séance suivante n'est planifiée pour cette RCP."})
    return move(actor=actor, registration=registration, target=target)


@transaction.atomic
def withdraw(*, actor, registration: Registration, reason: str = "") -> Registration:
    registration = Registration.objects.select_for_update().select_related("patient").get(pk=registration.pk)
    _check_can_edit(actor, registration)
    if registration.fiches.filter(status="validated").exists():
        raise ValidationError({"status": "Une fiche validée existe : l'inscription ne peut plus être retirée."})
    reason = " ".join((reason or "").split())[:300]
    registration.status = Registration.Status.WITHDRAWN
    registration.withdrawal_reason = reason
    registration.save(update_fields=["status", "withdrawal_reason"])
    registration.fiches.filter(status="draft").delete()
    audit.record(actor=actor, action=Action.REGISTRATION_WITHDRAW, patient=registration.patient, obj=registration,
                 reason=reason)
    return registration


@transaction.atomic
def reorder(*, actor, meeting: Meeting, ordered_ids: list[int]) -> None:
    """Set the order of the cases (the secretary's list)."""
    if not has_permission(actor, ORGANISE_BOARD, meeting.board):
        raise PermissionDenied
    current = list(meeting.registrations.filter(status__in=Registration.ACTIVE_STATUSES).values_list("id", flat=True))
    if sorted(current) != sorted(ordered_ids):
        raise ValidationError({"order": "La liste a changé entre-temps : rechargez la page."})
    for position, reg_id in enumerate(ordered_ids, start=1):
        Registration.objects.filter(pk=reg_id).update(position=position)
    audit.record(actor=actor, action=Action.MEETING_UPDATE, obj=meeting, details={"reordered": len(ordered_ids)})


def move_in_list(*, actor, registration: Registration, offset: int) -> None:
    """Move one case up (-1) or down (+1) in its meeting's list."""
    ids = list(
        registration.meeting.registrations.filter(status__in=Registration.ACTIVE_STATUSES)
        .order_by("position", "id").values_list("id", flat=True)
    )
    index = ids.index(registration.pk)
    target = index + offset
    if 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
        reorder(actor=actor, meeting=registration.meeting, ordered_ids=ids)
