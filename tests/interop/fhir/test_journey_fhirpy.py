"""A hospital's system, end to end over real HTTP with a real FHIR client library (fhirpy) against the live server:
client created with `dcc api-client`, token from the token endpoint (client_secret_basic), Patient created then
found by its IPP, a pathology CDA sent as a DocumentReference, found by patient and type, its Binary read back,
the DiagnosticReport with the conclusion, and a paged search followed through its `next` links."""

import base64
from io import StringIO

import requests
from django.core.management import call_command
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from tests import samples

from .conftest import BIRTH, patient_resource, report, validate


def _credentials(finess: str) -> tuple[str, str]:
    out = StringIO()
    call_command("api_client", "create", "DPI du CH de test", "--organisation", finess, "--scopes",
                 "system/Patient.* system/DocumentReference.* system/Binary.read system/DiagnosticReport.read",
                 stdout=out)
    values = dict(line.split(" : ", 1) for line in out.getvalue().splitlines() if " : " in line)
    return values["client_id"], values["client_secret"]


def test_hospital_system_journey(live_server):
    hospital = samples.hospital()
    client_id, secret = _credentials(hospital.finess)
    discovery = requests.get(f"{live_server.url}/fhir/.well-known/smart-configuration", timeout=10).json()
    grant = requests.post(discovery["token_endpoint"], data={"grant_type": "client_credentials"},
                          auth=(client_id, secret), timeout=10)
    assert grant.status_code == 200, grant.text
    token = grant.json()["access_token"]
    fhir = SyncFHIRClient(f"{live_server.url}/fhir", authorization=f"Bearer {token}")

    # The hospital creates its patient, then finds it by its IPP.
    ins = samples.nir(sex="F", birth_date=BIRTH)
    patient = fhir.resource("Patient", **{k: v for k, v in patient_resource(hospital, ipp="DPI-42", ins=ins).items()
                                          if k != "resourceType"})
    patient.save()
    assert patient.id and patient["active"] is True
    validate(patient.serialize())
    found = fhir.resources("Patient").search(identifier=f"urn:oid:{hospital.oid}|DPI-42").fetch()
    assert [p.id for p in found] == [patient.id]
    assert fhir.resources("Patient").search(identifier=f"urn:oid:1.2.250.1.213.1.4.8|{ins}").first().id == patient.id

    # A pathology report in, as a CDA R2 inside a DocumentReference.
    cda = report(hospital, ipp="DPI-42", ins=ins, conclusion="Adénocarcinome lieberkühnien pT3N1.")
    document = fhir.resource("DocumentReference", status="current",
                             subject={"reference": f"Patient/{patient.id}"},
                             content=[{"attachment": {"contentType": "application/hl7-v3+xml",
                                                      "data": base64.b64encode(cda).decode()}}])
    document.save()
    assert document.id and document["type"]["coding"][0]["code"] == "60568-3"
    listed = fhir.resources("DocumentReference").search(patient=patient.id, type="http://loinc.org|60568-3").fetch()
    assert [d.id for d in listed] == [document.id]
    url = listed[0]["content"][0]["attachment"]["url"]

    # Its content back, byte for byte.
    binary = fhir.reference(reference=url).to_resource()
    assert base64.b64decode(binary["data"]) == cda

    # The report with its conclusion.
    reports = fhir.resources("DiagnosticReport").search(patient=f"Patient/{patient.id}").fetch()
    assert [r["conclusion"] for r in reports] == ["Adénocarcinome lieberkühnien pT3N1."]
    validate(reports[0].serialize())

    # Paging: fhirpy follows the `next` links (absolute URLs of this server).
    for n in range(4):
        fhir.resource("Patient", **{k: v for k, v in patient_resource(hospital, ipp=f"DPI-{n}", family=f"Nom{n}",
                                                                      given="Claire").items()
                                    if k != "resourceType"}).save()
    every = fhir.resources("Patient").search(given="claire").limit(2).fetch_all()
    assert len(every) == 4 and len({p.id for p in every}) == 4

    # Outside the data scope: not found.
    try:
        fhir.reference("Patient", "999999").to_resource()
        raise AssertionError("Patient/999999 should not be found")
    except ResourceNotFound:
        pass
    reads = AuditEvent.objects.filter(action__in=[Action.FHIR_READ, Action.DOCUMENT_VIEW],
                                      actor_label="client API DPI du CH de test")
    assert reads.filter(patient_id=int(patient.id)).count() >= 4
