"""The machine-client policy: the data scope of an API client — the one place that says which patients (and so
which documents) a client may see, as `oncodcc.patients.policy` does for people (ADR 0006).

- a client bound to a hospital sees the patients that hospital knows: those holding an identifier (IPP) under the
  hospital's OID, and those it sent a document for; and every document of those patients;
- a regional client (no organisation: the DSRC's infocentre) sees every patient.

Outside its scope, a record does not exist for the client (404), so that a client cannot probe for patients."""

from django.db.models import Q

from oncodcc.core.policy import register
from oncodcc.documents.models import Document
from oncodcc.patients.models import Patient, PatientIdentifier

READ_PATIENT = "client.read_patient"


def is_regional(client) -> bool:
    return client.organisation_id is None


def patient_scope(client) -> Q:
    """A filter on Patient."""
    if is_regional(client):
        return Q()
    organisation = client.organisation
    q = Q(pk__in=Document.objects.filter(sender_id=organisation.pk).values("patient_id"))
    if organisation.oid:
        q |= Q(pk__in=PatientIdentifier.objects.filter(system=organisation.oid).values("patient_id"))
    return q


def document_scope(client) -> Q:
    """A filter on Document: the documents of the patients in scope."""
    if is_regional(client):
        return Q()
    return Q(patient__in=Patient.objects.filter(patient_scope(client)).values("pk"))


@register(READ_PATIENT, "Client d'API : lire un patient (et ses documents)")
def can_see_patient(client, patient) -> bool:
    patient_id = getattr(patient, "pk", patient)
    return client is not None and Patient.objects.filter(pk=patient_id).filter(patient_scope(client)).exists()
