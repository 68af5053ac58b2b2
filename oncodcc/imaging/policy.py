"""Who sees a patient's imaging studies (whoever may open the record: the list reads the hospitals' PACS by the
patient's IPPs) and who pins studies for the room (the board's secretary or coordinator, on a case they may read)."""

from oncodcc.core.policy import register
from oncodcc.patients.policy import VIEW_RECORD, has_permission
from oncodcc.rcp.policy import ORGANISE_BOARD

VIEW_STUDIES = "imaging.view_studies"
PIN_STUDY = "imaging.pin"


@register(VIEW_STUDIES, "Voir les examens d'imagerie du patient et les ouvrir dans le visualiseur")
def can_view_studies(user, patient) -> bool:
    return patient is not None and has_permission(user, VIEW_RECORD, patient)


@register(PIN_STUDY, "Choisir les images à projeter pour un dossier inscrit en RCP")
def can_pin(user, registration) -> bool:
    return (registration is not None and has_permission(user, ORGANISE_BOARD, registration.meeting.board)
            and has_permission(user, VIEW_RECORD, registration.patient))
