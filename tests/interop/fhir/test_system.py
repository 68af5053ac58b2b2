"""The server as a whole: CapabilityStatement (every resource, interactions, search parameters, SMART security),
the OpenAPI document generated from the same table, the directory resources, and the error forms (400, 404, 405,
406, 413, 415) as OperationOutcome."""

from django.test import Client

from oncodcc.directory.models import Organisation
from oncodcc.interop.fhir.registry import RESOURCES
from tests import factories as f

from .conftest import ids, outcome, validate


def test_capability_statement_lists_everything_served(db):
    data = validate(Client().get("/fhir/metadata").json())
    rest = data["rest"][0]
    served = {r["type"]: r for r in rest["resource"]}
    assert set(served) == {spec.type for spec in RESOURCES}
    assert {i["code"] for i in served["Patient"]["interaction"]} == {"read", "search-type", "create", "update"}
    assert {i["code"] for i in served["DocumentReference"]["interaction"]} == {"read", "search-type", "create",
                                                                               "delete"}
    assert {i["code"] for i in served["Binary"]["interaction"]} == {"read", "create"}
    assert {p["name"] for p in served["Patient"]["searchParam"]} >= {"identifier", "family", "given", "birthdate",
                                                                     "_id"}
    assert {p["name"] for p in served["DocumentReference"]["searchParam"]} >= {"patient", "subject", "type",
                                                                               "date", "status", "_id"}
    security = rest["security"]
    assert security["service"][0]["coding"][0]["code"] == "SMART-on-FHIR"
    uris = security["extension"][0]
    assert uris["url"] == "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
    assert uris["extension"] == [{"url": "token", "valueUri": "http://testserver/oauth/token"}]


def test_openapi_document_follows_the_table(db):
    response = Client().get("/fhir/openapi.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    doc = response.json()
    assert doc["openapi"].startswith("3.0") and doc["servers"] == [{"url": "http://testserver/fhir"}]
    assert set(doc["paths"]["/Patient"]) == {"get", "post"}
    assert set(doc["paths"]["/Patient/{id}"]) == {"get", "put", "parameters"}
    assert set(doc["paths"]["/DocumentReference/{id}"]) == {"get", "delete", "parameters"}
    assert "/Binary" in doc["paths"] and "get" not in doc["paths"]["/Binary"]
    query = {p["name"] for p in doc["paths"]["/Patient"]["get"]["parameters"]}
    assert {"identifier", "family", "birthdate", "_count", "_offset"} <= query


def test_practitioner_and_organization(make_api, db):
    api = make_api(None, "system/Practitioner.read system/Organization.read")
    parent = f.OrganisationFactory(kind=Organisation.Kind.LEGAL_ENTITY, name="CHU de Démo", short_name="CHUD")
    site = f.OrganisationFactory(kind=Organisation.Kind.SITE, name="Hôpital Nord", parent=parent)
    doctor = f.PractitionerFactory(last_name="Éluard", first_name="Paul", rpps="10101010101")
    doctor.organisations.add(site)
    data = api.read(f"Practitioner/{doctor.pk}")
    assert data["identifier"][0] == {"use": "official", "type": {"coding": [{
        "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", "code": "RPPS"}]},
        "system": "urn:oid:1.2.250.1.71.4.2.1", "value": "10101010101"}
    assert data["qualification"][0]["code"]["coding"][0]["code"] == doctor.specialty
    assert ids(api.search("Practitioner", {"identifier": "urn:oid:1.2.250.1.71.4.2.1|10101010101"})) == [str(doctor.pk)]
    assert ids(api.search("Practitioner", {"identifier": "810101010101"})) == [str(doctor.pk)], "IDNPS form"
    assert ids(api.search("Practitioner", {"family": "eluard"})) == [str(doctor.pk)]
    assert ids(api.search("Practitioner", {"name": "PAUL", "family": "elu"})) == [str(doctor.pk)]
    org = api.read(f"Organization/{site.pk}")
    assert org["partOf"] == {"reference": f"Organization/{parent.pk}"}
    assert org["identifier"][0]["system"] == "urn:oid:1.2.250.1.71.4.2.2"
    assert org["identifier"][0]["type"]["coding"][0]["code"] == "FINEG"
    assert ids(api.search("Organization", {"identifier": f"urn:oid:1.2.250.1.71.4.2.2|{site.finess}"})) == \
        [str(site.pk)]
    assert ids(api.search("Organization", {"identifier": f"urn:ietf:rfc:3986|urn:oid:{site.oid}"})) == [str(site.pk)]
    assert ids(api.search("Organization", {"name": "chud"})) == [str(parent.pk)], "short name"
    assert str(site.pk) in ids(api.search("Organization", {"type": "EG"}))
    assert str(parent.pk) not in ids(api.search("Organization", {"type": "EG"}))
    outcome(api.get("Practitioner/999999"), 404, "not-found")
    outcome(api.get("Organization/abc"), 404, "not-found")
    outcome(api.get("Patient"), 403, "forbidden")


def test_error_forms(api, hospital, settings):
    outcome(api.get("Observation"), 404, "not-supported")
    outcome(api.get(""), 404, "not-supported")
    outcome(api.post("Observation", {"resourceType": "Observation"}), 404, "not-supported")
    response = api.client.patch("/fhir/Patient/1", "{}", content_type="application/fhir+json",
                                headers=api.headers())
    outcome(response, 405, "not-supported")
    assert response["Allow"] == "GET, HEAD, PUT"
    response = api.delete("Patient/1")
    outcome(response, 405, "not-supported")
    outcome(api.put("DocumentReference/1", {"resourceType": "DocumentReference"}), 405, "not-supported")
    outcome(api.post("DiagnosticReport", {"resourceType": "DiagnosticReport"}), 405, "not-supported")
    outcome(api.get("Patient", Accept="application/fhir+xml"), 406, "not-supported")
    outcome(api.get("Patient", {"_format": "xml"}), 406, "not-supported")
    outcome(api.get("Patient", {"couleur": "bleu"}), 400, "not-supported")
    outcome(api.get("Patient", {"family": "a\x00"}), 400, "invalid")
    outcome(api.get("Patient/1", {"family": "x"}), 400, "not-supported")
    outcome(api.get("Patient/1\x01"), 400, "invalid")
    settings.INBOUND_DOCUMENT_MAX_BYTES = 1024
    big = b"%PDF-" + b"x" * 2048
    outcome(api.post("Binary", big, content_type="application/pdf"), 413, "too-costly")
    outcome(api.post("Binary", b"GIF89a", content_type="image/gif"), 415, "not-supported")
    head = api.client.head("/fhir/Patient", headers=api.headers())
    assert head.status_code == 200 and head.content == b""
