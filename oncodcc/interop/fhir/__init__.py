"""The FHIR R4 API under /fhir/ (JSON): patients (read, search; create and update by hospitals' systems with the
inbound matching rules), the directory (Practitioner, Organization), documents (DocumentReference, Binary: read,
search, and documents in), received reports (DiagnosticReport), organ forms and answers (Questionnaire,
QuestionnaireResponse). Systems authenticate with SMART backend-services bearer tokens (`interop.smart`); people
signed in to the site may read, within their patient access rules. `registry` lists what is served; `framework`
frames every endpoint (methods, format, caller, scope, OperationOutcome errors)."""
