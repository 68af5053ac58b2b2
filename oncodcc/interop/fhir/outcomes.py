"""FHIR responses: the JSON media type, and errors as OperationOutcome (diagnostics in French)."""

import json
from datetime import UTC, datetime

from django.http import HttpResponse
from django.utils import timezone

MEDIA_TYPE = "application/fhir+json; charset=utf-8"


class FhirError(Exception):
    """An error answered as an OperationOutcome with this HTTP status and issue code."""

    def __init__(self, status: int, code: str, diagnostics: str, *, headers: dict[str, str] | None = None):
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics = status, code, diagnostics
        self.headers = headers or {}


def invalid(diagnostics: str) -> FhirError:
    return FhirError(400, "invalid", diagnostics)


def not_supported(diagnostics: str, status: int = 400) -> FhirError:
    return FhirError(status, "not-supported", diagnostics)


def not_found(diagnostics: str) -> FhirError:
    return FhirError(404, "not-found", diagnostics)


def unauthorized(diagnostics: str, *, error: str = "") -> FhirError:
    """401 with the RFC 6750 challenge (error="invalid_token" when a token was sent but is not valid)."""
    challenge = 'Bearer realm="OncoDCC"' + (f', error="{error}"' if error else "")
    return FhirError(401, "login", diagnostics, headers={"WWW-Authenticate": challenge})


def forbidden(diagnostics: str, *, scope: bool = False) -> FhirError:
    headers = {"WWW-Authenticate": 'Bearer realm="OncoDCC", error="insufficient_scope"'} if scope else None
    return FhirError(403, "forbidden", diagnostics, headers=headers)


def conflict(diagnostics: str) -> FhirError:
    return FhirError(409, "conflict", diagnostics)


def gone(diagnostics: str) -> FhirError:
    return FhirError(410, "deleted", diagnostics)


def unprocessable(diagnostics: str, code: str = "processing") -> FhirError:
    """422: the resource is well-formed FHIR but breaks a business rule (identity, document)."""
    return FhirError(422, code, diagnostics)


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


def instant(value: datetime | None = None) -> str:
    """A FHIR instant (UTC, milliseconds)."""
    value = (value or timezone.now()).astimezone(UTC)
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def fhir_response(resource: dict, *, status: int = 200, pretty: bool = False,
                  headers: dict[str, str] | None = None) -> HttpResponse:
    body = json.dumps(resource, ensure_ascii=False, indent=2 if pretty else None,
                      separators=None if pretty else (",", ":"))
    response = HttpResponse(body, status=status, content_type=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def error_response(error: FhirError, *, pretty: bool = False) -> HttpResponse:
    return fhir_response(operation_outcome(error.code, error.diagnostics), status=error.status, pretty=pretty,
                         headers=error.headers)
