"""Who sees the pre-screening of a case: whoever works on the patient's case (it reads the fiche's clinical data:
tumours, organ-form answers, performance status). The registry itself holds no patient data."""

from oncodcc.core.policy import register
from oncodcc.patients.policy import VIEW_RECORD, has_permission

PRESCREEN = "trial.prescreen"


@register(PRESCREEN, "Voir les essais possibles pour un dossier inscrit en RCP")
def can_prescreen(user, registration) -> bool:
    return registration is not None and has_permission(user, VIEW_RECORD, registration.patient)

