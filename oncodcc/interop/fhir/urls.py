"""/fhir/: the FHIR R4 API. Everything under it answers FHIR JSON, an unknown path included."""

from django.urls import path, re_path

from oncodcc.interop.smart import views as smart_views

from . import (
    binary,
    directory,
    document_in,
    documents,
    patients,
    questionnaires,
    reports,
    research_studies,
    views,
)
from .framework import endpoint
from .registry import CREATE, DELETE, READ, SEARCH, UPDATE

app_name = "fhir"


def routes(resource_type: str, *, search=None, create=None, read=None, update=None, delete=None) -> list:
    """`Type` (search, create) and `Type/<id>` (read, update, delete), with or without a trailing slash."""
    type_level = {k: v for k, v in ((SEARCH, search), (CREATE, create)) if v}
    instance_level = {k: v for k, v in ((READ, read), (UPDATE, update), (DELETE, delete)) if v}
    name = resource_type.lower()
    urls = [re_path(rf"^{resource_type}/?$", endpoint(resource_type, type_level), name=f"{name}-type")]
    if instance_level:
        urls.append(path(f"{resource_type}/<str:logical_id>", endpoint(resource_type, instance_level),
                         name=f"{name}-instance"))
    return urls


urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    path("openapi.json", views.openapi, name="openapi"),
    path(".well-known/smart-configuration", smart_views.smart_configuration, name="smart-configuration"),
    *routes("Patient", search=patients.patient_search, create=patients.patient_create, read=patients.patient_read,
            update=patients.patient_update),
    *routes("Practitioner", search=directory.practitioner_search, read=directory.practitioner_read),
    *routes("Organization", search=directory.organisation_search, read=directory.organisation_read),
    *routes("DocumentReference", search=documents.document_search, create=document_in.document_create,
            read=documents.document_read, delete=documents.document_delete),
    *routes("Binary", create=binary.binary_create, read=binary.binary_read),
    *routes("DiagnosticReport", search=reports.report_search, read=reports.report_read),
    *routes("Questionnaire", search=questionnaires.questionnaire_search, read=questionnaires.questionnaire_read),
    *routes("QuestionnaireResponse", search=questionnaires.response_search, read=questionnaires.response_read),
    *routes("ResearchStudy", search=research_studies.study_search, read=research_studies.study_read),
    re_path(r"^(?P<path>.*)$", views.unsupported, name="unsupported"),
]
