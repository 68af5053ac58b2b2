"""The life of an account after its creation: deactivation (by an administrator, a command, the access review or
the inactivity task). One function so that every path leaves the same audit event and the same state."""

from django.db import transaction

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action

from .models import InactivityWarning


def deactivate(user, *, actor, reason: str) -> bool:
    """Deactivate `user` (no sign-in any more; an open session ends at its next request, since the authentication
    backend refuses inactive accounts). Returns False when the account was already inactive. `reason` is French
    and goes to the audit trail; `actor` is None for the scheduled task (the system)."""
    with transaction.atomic():
        if not user.is_active:
            return False
        user.is_active = False
        user.save(update_fields=["is_active"])
        # An account reactivated later starts afresh: a new warning and its 30 days before the inactivity sweep
        # deactivates it again (an old warning would otherwise count at once).
        InactivityWarning.objects.filter(user=user).delete()
        audit.record(actor=actor, action=Action.ACCOUNT_DEACTIVATE, obj=user, reason=reason,
                     details={"username": user.username})
        return True
