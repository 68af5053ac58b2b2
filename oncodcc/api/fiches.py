"""/api/v1/fiches: read a fiche RCP, save a draft with optimistic locking (409 with what changed)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Status

from oncodcc.audit.services import Action
from oncodcc.core.locking import ConcurrentEditError
from oncodcc.rcp.models import Fiche
from oncodcc.rcp.selectors import fiches as selectors
from oncodcc.rcp.services import fiches as services
from oncodcc.rcp.services.fiches import TEST_FIELDS, TREATMENT_FIELDS, TUMOUR_FIELDS, FicheInput

from .schemas import ConflictOut, ErrorOut, FicheIn, FicheOut, FieldErrorsOut, RequestErrorOut

router = Router(tags=["Fiches RCP"])

NOT_FOUND = "Fiche RCP inconnue."
DENIED = "Vous n'avez pas accès au dossier de ce patient."
CONFLICT = "Cette fiche a été modifiée par quelqu'un d'autre pendant votre saisie."
CHILDREN = ("tumours", "treatments", "further_tests")


def fiche_out(fiche: Fiche) -> dict[str, Any]:
    meeting = fiche.registration.meeting
    data: dict[str, Any] = {name: getattr(fiche, name) for name in Fiche.EDITABLE_FIELDS}
    data.update(
        id=fiche.pk, set_id=fiche.set_id, version_number=fiche.version_number, status=fiche.status,
        lock_version=fiche.lock_version, patient_id=fiche.patient_id, registration_id=fiche.registration_id,
        meeting_id=meeting.pk, board=meeting.board.name, meeting_starts_at=meeting.starts_at,
        quorum_status=fiche.quorum_status, participants=fiche.participants or [],
        validated_at=fiche.validated_at, signer_name=fiche.signer_name, correction_reason=fiche.correction_reason,
        tumours=[
            {**{f: getattr(t, f) for f in TUMOUR_FIELDS}, "topography_label": t.topography_label,
             "morphology_label": t.morphology_label, "laterality_label": t.laterality_label}
            for t in fiche.tumours.all()
        ],
        treatments=[
            {**{f: getattr(t, f) for f in TREATMENT_FIELDS}, "sequence": t.sequence, "label": t.label}
            for t in fiche.treatments.all()
        ],
        further_tests=[{f: getattr(t, f) for f in TEST_FIELDS} for t in fiche.further_tests.all()],
    )
    return data


def _input(payload: FicheIn, fiche: Fiche) -> FicheInput:
    """Items sent replace the saved ones; items left out keep their value (lists included)."""
    sent = payload.model_dump(exclude_unset=True)
    current = services.snapshot(fiche)
    children = {
        name: [row.model_dump() for row in getattr(payload, name)] if sent.get(name) is not None else current[name]
        for name in CHILDREN
    }
    fields = {name: value for name, value in sent.items() if name in Fiche.EDITABLE_FIELDS}
    return FicheInput(fields=fields, **children)


@router.get(
    "/{int:fiche_id}",
    response={200: FicheOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Lire une fiche RCP",
    url_name="fiche",
)
def get_fiche(request: HttpRequest, fiche_id: int):
    try:
        fiche = selectors.get_fiche(user=request.auth, fiche_id=fiche_id, purpose=Action.FICHE_VIEW)
    except Fiche.DoesNotExist:
        return Status(404, {"detail": NOT_FOUND})
    return Status(200, fiche_out(fiche))


@router.put(
    "/{int:fiche_id}",
    response={200: FicheOut, 400: FieldErrorsOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ConflictOut,
              422: RequestErrorOut},
    summary="Enregistrer une fiche RCP en brouillon (verrouillage optimiste)",
    description="Envoyez la `lock_version` lue. Si quelqu'un a enregistré entre-temps : 409 avec les champs qui "
                "diffèrent et la version courante ; renvoyez-la pour écraser en connaissance de cause.",
)
def put_fiche(request: HttpRequest, fiche_id: int, payload: FicheIn):
    try:
        fiche = selectors.load_fiche(user=request.auth, fiche_id=fiche_id)
    except Fiche.DoesNotExist:
        return Status(404, {"detail": NOT_FOUND})
    try:
        services.save(actor=request.auth, fiche=fiche, expected_version=payload.lock_version,
                      data=_input(payload, fiche))
    except ConcurrentEditError as exc:
        changes = {name: {"yours": yours, "current": current} for name, (yours, current) in exc.changes.items()}
        return Status(409, {"detail": CONFLICT, "current_version": exc.current_version, "changes": changes})
    except ValidationError as exc:  # FicheValidationError included
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return Status(400, {"detail": "Fiche refusée : voir les erreurs par champ.", "errors": errors})
    return Status(200, fiche_out(selectors.load_fiche(user=request.auth, fiche_id=fiche.pk)))
