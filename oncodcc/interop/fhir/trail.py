"""Who may see which patient through the API, and the audit events of the API: one event per business access,
like the site — a read names its patient; a search result page writes one event per patient shown."""

from oncodcc.audit import services as audit
from oncodcc.audit.listing import record_shown
from oncodcc.audit.services import Action
from oncodcc.patients.models import Patient

from .caller import Caller
from .outcomes import FhirError, not_found


def visible_patient(caller: Caller, pk: int | None, *, resource: str, logical: str) -> Patient:
    """The patient if the caller may see it. For a client, a patient outside its scope does not exist (404); a
    signed-in user without access gets 403, and the refusal is audited (as on the site)."""
    patient = Patient.objects.filter(pk=pk).first() if pk else None
    if patient is None:
        raise not_found(f"{logical} introuvable.")
    check_patient(caller, patient, resource=resource, logical=logical)
    return patient


def check_patient(caller: Caller, patient: Patient, *, resource: str, logical: str) -> None:
    if Patient.objects.filter(pk=patient.pk).filter(caller.patient_scope()).exists():
        return
    if caller.is_client:
        raise not_found(f"{logical} introuvable.")
    audit.record(actor=caller.actor, action=Action.ACCESS_DENIED, patient=patient,
                 details={"purpose": Action.FHIR_READ, "resource": resource})
    raise FhirError(403, "forbidden", "Accès refusé : vous n'avez pas accès au dossier de ce patient.")


def record_read(caller: Caller, *, resource: str, patient_ids, count: int, obj=None, action: str = Action.FHIR_READ,
                details: dict | None = None) -> None:
    """What was shown, patient by patient; nothing when no patient data was."""
    ids = list(dict.fromkeys(pk for pk in patient_ids if pk))
    if not ids:
        return
    data = {"resource": resource, "count": count, **caller.audit_details(), **(details or {})}
    # One event per patient shown: each patient's access history names the search page that showed them.
    record_shown(actor=caller.actor, action=action, patient_ids=ids, obj=obj, details=data)


def record_write(caller: Caller, *, resource: str, interaction: str, patient_id: int, obj=None,
                 details: dict | None = None) -> None:
    audit.record(actor=caller.actor, action=Action.FHIR_WRITE, patient_id=patient_id, obj=obj,
                 details={"resource": resource, "interaction": interaction, **caller.audit_details(),
                          **(details or {})})
