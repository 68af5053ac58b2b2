"""FHIR API test helpers: API clients created through the service, tokens obtained from the real token endpoint,
requests with a bearer token, and checks that every answer is valid FHIR R4 (fhir.resources R4B)."""

import base64
import json
from datetime import date
from urllib.parse import urlencode

import pytest
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from oncodcc.interop.smart import services
from tests import samples

FHIR_JSON = "application/fhir+json; charset=utf-8"
ALL_WRITE = "system/Patient.* system/DocumentReference.* system/Binary.* system/DiagnosticReport.read " \
            "system/Practitioner.read system/Organization.read"
BIRTH = date(1961, 4, 17)


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    # Generated documents render in-process here (elsewhere in the task worker).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def validate(data: dict) -> dict:
    """Every resource we serve must be valid FHIR (R4B models); Bundles are checked entry by entry too."""
    get_fhir_model_class(data["resourceType"]).model_validate(data)
    for entry in data.get("entry", []):
        validate(entry["resource"])
    return data


class Api:
    """A Django test client that sends a bearer token and checks the FHIR answers."""

    def __init__(self, token: str = "", client: Client | None = None):
        self.client = client or Client()
        self.token = token

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Accept": "application/fhir+json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return {**headers, **(extra or {})}

    def get(self, path: str, params=None, **headers):
        return self.client.get(f"/fhir/{path}", params or {}, headers=self.headers(headers))

    def post(self, path: str, resource: dict | bytes, content_type: str = "application/fhir+json", **headers):
        body = resource if isinstance(resource, bytes) else json.dumps(resource)
        return self.client.post(f"/fhir/{path}", body, content_type=content_type, headers=self.headers(headers))

    def put(self, path: str, resource: dict, **headers):
        return self.client.put(f"/fhir/{path}", json.dumps(resource), content_type="application/fhir+json",
                               headers=self.headers(headers))

    def delete(self, path: str, **headers):
        return self.client.delete(f"/fhir/{path}", headers=self.headers(headers))

    def ok(self, response, status: int = 200) -> dict:
        assert response.status_code == status, response.content.decode()[:800]
        assert response["Content-Type"] == FHIR_JSON
        return validate(response.json())

    def read(self, path: str, params=None) -> dict:
        return self.ok(self.get(path, params))

    def search(self, path: str, params=None) -> dict:
        bundle = self.ok(self.get(path, params))
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
        return bundle


def outcome(response, status: int, code: str | None = None) -> str:
    """The answer is an OperationOutcome (valid FHIR) with this status (and issue code); returns its text."""
    assert response.status_code == status, response.content.decode()[:800]
    assert response["Content-Type"] == FHIR_JSON
    data = validate(response.json())
    assert data["resourceType"] == "OperationOutcome"
    issue = data["issue"][0]
    assert issue["severity"] == "error" and issue["diagnostics"]
    if code:
        assert issue["code"] == code, issue
    return issue["diagnostics"]


def ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def get_token(client_obj, secret: str, scope: str = "") -> str:
    data = {"grant_type": "client_credentials", "client_id": client_obj.client_id, "client_secret": secret}
    if scope:
        data["scope"] = scope
    response = Client().post("/oauth/token", urlencode(data), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def make_api(db):
    """make_api(organisation, scopes) → Api with a fresh token (organisation None: regional client)."""
    counter = iter(range(1, 1000))

    def make(organisation=None, scopes: str = ALL_WRITE, *, token_scope: str = "") -> Api:
        client_obj, secret = services.create_client(actor="test", name=f"Client de test {next(counter)}",
                                                    organisation=organisation, scopes=scopes)
        api = Api(get_token(client_obj, secret, token_scope))
        api.client_obj = client_obj
        return api

    return make


@pytest.fixture
def hospital(db):
    return samples.hospital()


@pytest.fixture
def other_hospital(db):
    return samples.hospital()


@pytest.fixture
def api(make_api, hospital):
    return make_api(hospital)


def patient_resource(hospital, *, ipp: str = "IPP-1", family: str = "Lefèvre", given: str = "Hélène Marie",
                     birth: date = BIRTH, sex: str = "female", ins: str | None = None, used: str = "",
                     birthplace: str = "75056", reliability: str = "") -> dict:
    identifiers = [{"system": f"urn:oid:{hospital.oid}", "value": ipp}] if ipp else []
    if ins:
        identifiers.append({"system": "urn:oid:1.2.250.1.213.1.4.8", "value": ins})
    names = [{"use": "official", "family": family, "given": given.split()}]
    if used:
        names.append({"use": "usual", "family": used, "given": [given.split()[0]]})
    resource = {"resourceType": "Patient", "identifier": identifiers, "name": names, "gender": sex,
                "birthDate": birth.isoformat(), "extension": [{
                    "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                    "valueAddress": {"extension": [{
                        "url": "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code",
                        "valueCoding": {"code": birthplace}}]}}]}
    if reliability:
        resource["extension"].append({"url": "https://hl7.fr/ig/fhir/core/StructureDefinition/"
                                             "fr-core-identity-reliability",
                                      "extension": [{"url": "identityStatus", "valueCoding": {"code": reliability}}]})
    return resource


def cda_document(cda: bytes, *, subject: str | None = None, relates_to: str | None = None,
                 content_type: str = "application/hl7-v3+xml") -> dict:
    resource = {"resourceType": "DocumentReference", "status": "current",
                "content": [{"attachment": {"contentType": content_type,
                                            "data": base64.b64encode(cda).decode()}}]}
    if subject:
        resource["subject"] = {"reference": subject}
    if relates_to:
        resource["relatesTo"] = [{"code": "replaces", "target": {"reference": relates_to}}]
    return resource


def report(hospital, **kwargs) -> bytes:
    data = {"birth_name": "Lefèvre", "given": "Hélène Marie", "birth_date": BIRTH, "ipp": "IPP-1",
            "hospital_oid": hospital.oid}
    return samples.cda_report(**{**data, **kwargs})
