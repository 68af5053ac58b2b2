"""The pre-screening as pages use it: the permission asked, one audit event in the patient's history."""

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import has_permission

from .matching import TrialMatch, prescreen
from .policy import PRESCREEN


def possible_trials(*, user, registration) -> list[TrialMatch] | None:
    """The trials to show for this case, or None when the user may not see them (the section is then left out)."""
    if not has_permission(user, PRESCREEN, registration):
        return None
    matches = prescreen(registration)
    audit.record(actor=user, action=Action.TRIAL_PRESCREEN_VIEW, patient=registration.patient, obj=registration,
                 details={"shown": [m.trial.identifier for m in matches]})
    return matches
