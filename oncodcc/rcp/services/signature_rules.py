"""A board's signature rules (admin: Board.signers, Board.double_signature), checked by `fiches.validate`.

Who may sign is the policy's answer (`rcp.policy.can_sign`, permission `fiche.sign`); this module words the
refusals in French and adds what depends on the moment and on the fiche: no validation before the meeting has
started, and with double signature a second signer who is not the first one."""

from django.utils import timezone

from ..models import Board, Fiche, Meeting


def refusal(board: Board) -> str:
    """Why `fiche.sign` was refused, in the board's own terms."""
    if board.signers == Board.Signers.COORDINATORS:
        return "Dans cette RCP, seul le coordonnateur valide et signe les fiches."
    return "La fiche est signée par le coordonnateur de la RCP ou un médecin présent à la séance."


def timing_error(meeting: Meeting, now=None) -> str | None:
    """A fiche records what the board decided: it cannot be signed before the meeting has started."""
    now = now or timezone.now()
    if meeting.status == Meeting.Status.CANCELLED:
        return "Cette séance a été annulée : aucune fiche ne peut y être validée."
    if now < meeting.starts_at:
        start = meeting.local_start
        return (f"La séance commence le {start:%d/%m/%Y} à {start:%H:%M} : une fiche ne peut pas être validée "
                "avant le début de la séance.")
    return None


def needs_second_signature(fiche: Fiche) -> bool:
    """With double signature, the first authorised signer only signs first; the second one validates."""
    return fiche.registration.meeting.board.double_signature and fiche.first_signed_by_id is None


def second_signer_error(actor, fiche: Fiche) -> str | None:
    if fiche.registration.meeting.board.double_signature and fiche.first_signed_by_id == actor.pk:
        return ("Vous avez déjà signé cette fiche : la double signature demande qu'un second médecin habilité "
                "la contresigne.")
    return None
