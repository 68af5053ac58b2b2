"""Declared external activity: a 3C declares, per board and month, how many RCP reports were made in other
tools. One service, audited; a declaration for the same board and month replaces the previous one."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from oncodcc.audit import services as audit
from oncodcc.core.policy import require
from oncodcc.rcp.models import Board

from .models import DeclaredActivity
from .policy import DECLARE

ACTION_DECLARE = "infocentre.declare"
MAX_REPORTS = 100_000


@dataclass(frozen=True)
class Declaration:
    board: Board
    month: date
    reports: int
    tool: str = ""


def clean(*, board: Board, month: date, reports: int, tool: str = "") -> Declaration:
    errors: dict[str, list[str]] = {}
    if month.day != 1:
        month = month.replace(day=1)
    if month > timezone.localdate():
        errors["month"] = ["On déclare l'activité d'un mois commencé ou passé."]
    if reports < 0 or reports > MAX_REPORTS:
        errors["reports"] = [f"Un nombre entre 0 et {MAX_REPORTS}."]
    tool = " ".join((tool or "").split())
    if any(ord(ch) < 32 for ch in tool) or len(tool) > 100:
        errors["tool"] = ["Nom d'outil invalide (100 caractères au plus)."]
    if errors:
        raise ValidationError(errors)
    return Declaration(board, month, reports, tool)


@transaction.atomic
def declare(*, actor, board: Board, month: date, reports: int, tool: str = "") -> DeclaredActivity:
    """Record (or replace) the count of RCP reports made elsewhere for one board and month."""
    require(actor, DECLARE, board, message="Vous ne pouvez pas déclarer l'activité de cette RCP.")
    data = clean(board=board, month=month, reports=reports, tool=tool)
    existing = DeclaredActivity.objects.select_for_update().filter(board=board, month=data.month).first()
    previous = existing.reports if existing else None
    if existing is None:
        existing = DeclaredActivity(board=board, month=data.month)
    existing.reports, existing.tool, existing.declared_by = data.reports, data.tool, actor
    existing.save()
    audit.record(actor=actor, action=ACTION_DECLARE, obj=existing,
                 details={"board": board.pk, "month": data.month.isoformat(), "reports": data.reports,
                          "previous": previous, "tool": data.tool})
    return existing
