"""The patient's objection to his documents being sent to his DMP (Mon espace santé): changed by the case workers
who may edit the record, audited. Deliveries already queued to the DMP are not withdrawn (they were decided
before); the next documents are no longer sent there."""

from django.db import transaction

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import require
from oncodcc.patients.models import Patient
from oncodcc.patients.policy import EDIT


@transaction.atomic
def set_dmp_opposition(*, actor, patient: Patient, opposed: bool) -> Patient:
    require(actor, EDIT, patient, patient_id=patient.pk)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.dmp_opposition == opposed:
        return patient
    patient.dmp_opposition = opposed
    patient.save(update_fields=["dmp_opposition", "updated_at"])
    audit.record(actor=actor, action=Action.DMP_OPPOSITION, patient=patient, obj=patient,
                 details={"opposition": opposed})
    return patient
