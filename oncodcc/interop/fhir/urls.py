"""/fhir/: the FHIR R4 read endpoints. Everything under it answers FHIR JSON, an unknown path included."""

from django.urls import path, re_path

from . import views

app_name = "fhir"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    re_path(r"^Questionnaire/?$", views.questionnaire_search, name="questionnaire-search"),
    path("Questionnaire/<str:logical_id>", views.questionnaire_read, name="questionnaire-read"),
    re_path(r"^QuestionnaireResponse/?$", views.response_search, name="response-search"),
    path("QuestionnaireResponse/<str:logical_id>", views.response_read, name="response-read"),
    re_path(r"^(?P<path>.*)$", views.unsupported, name="unsupported"),
]
