"""Property-based API tests with schemathesis: requests generated from (1) our django-ninja OpenAPI (/api/v1, with
a signed-in session and its CSRF token) and (2) the OpenAPI document of the FHIR API (/fhir/openapi.json, generated
from the CapabilityStatement's table, with a bearer token) must never get a server error. The application runs
in-process (WSGI) on the test database; examples are few per operation to stay fast."""

import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_dict, from_wsgi

from tests import factories as f

from .conftest import cda_document, patient_resource, report

EXAMPLES = 12
CSRF = "a" * 32  # an unmasked CSRF secret: sent both as cookie and header, as a browser would


def exercise(schema, *, examples: int = EXAMPLES, ids=None, **call) -> int:
    """Run the operations of the schema with generated cases; returns how many were run. `ids`: operation path →
    path parameters, to aim at existing records (only those operations are run then)."""
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if ids is not None and operation.path not in ids:
            continue
        operations += 1
        strategy = operation.as_strategy(path_parameters=ids[operation.path]) if ids else operation.as_strategy()

        @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def check(case):
            response = case.call(**call)
            case.validate_response(response, checks=[not_a_server_error])

        check()
    return operations


@pytest.fixture
def wsgi(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost", "testserver"]
    handler = get_wsgi_application()

    def app(environ, start_response):
        # Called directly, the WSGI handler closes "old" connections at each request's start and end — on
        # PostgreSQL that is the connection holding the test transaction. Like Django's test client, keep it open
        # for the request (the client reconnects the signals after each of its own requests, so do it per call).
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)

    return app


def test_ninja_api_never_answers_5xx(wsgi, registration, member_doctor):
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    browser = Client()
    browser.force_login(member_doctor)
    document = browser.get("/api/v1/openapi.json")
    assert document.status_code == 200
    schema = from_dict(document.json())
    schema.app = wsgi
    cookies = {"sessionid": browser.cookies["sessionid"].value, "csrftoken": CSRF}
    headers = {"X-CSRFToken": CSRF}
    assert exercise(schema, cookies=cookies, headers=headers) >= 2
    # Random ids mostly meet 404: aim at an existing fiche too, where the body is what is tested.
    assert exercise(schema, ids={"/api/v1/fiches/{fiche_id}": {"fiche_id": fiche.pk}}, cookies=cookies,
                    headers=headers) == 2


def test_fhir_api_never_answers_5xx(wsgi, make_api, hospital):
    api = make_api(hospital, "system/Patient.* system/DocumentReference.* system/Binary.* system/*.read")
    # Some data to find: a patient, a received report.
    patient = api.ok(api.post("Patient", patient_resource(hospital)), 201)["id"]
    document = api.ok(api.post("DocumentReference", cda_document(report(hospital))), 201)["id"]
    schema = from_wsgi("/fhir/openapi.json", wsgi)
    headers = {"Authorization": f"Bearer {api.token}"}
    assert exercise(schema, headers=headers) >= 15
    existing = {"/Patient/{id}": {"id": patient}, "/DocumentReference/{id}": {"id": document},
                "/DiagnosticReport/{id}": {"id": document}, "/Binary/{id}": {"id": f"cda-{document}"},
                "/Organization/{id}": {"id": str(hospital.pk)}}
    assert exercise(schema, ids=existing, examples=6, headers=headers) == 7
