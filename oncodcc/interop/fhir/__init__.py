"""Read-only FHIR R4 endpoints (JSON) under /fhir/: the published organ forms (Questionnaire) and the organ answers
of the fiches (QuestionnaireResponse), behind the same session login and patient access rules as the site."""
