"""The patient record page: identity, identifiers, care team, the timeline of registrations, fiches and received
reports, the documents — what several domain apps hold, put together here, above them."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from oncodcc.patients import selectors
from oncodcc.patients.forms import CareTeamForm
from oncodcc.patients.models import Patient
from oncodcc.patients.policy import EDIT, REGISTER, VIEW_HISTORY, VIEW_RECORD, has_permission, works_on
from oncodcc.patients.views import FLAG_LABELS, INS_OID_LABELS

from .record_documents import record_documents
from .timeline import patient_timeline


@require_GET
def detail(request, pk: int):
    try:
        patient = selectors.get_patient(user=request.user, patient_id=pk)
    except Patient.DoesNotExist as exc:
        raise Http404 from exc
    edits = has_permission(request.user, EDIT, patient)
    can_edit = edits and not patient.is_merged
    # Else a reader (the GP): validated fiches and PPS only. Editing implies working on the case (no query more).
    works = edits or works_on(request.user, patient)
    documents = record_documents(patient)
    survivor = patient.merged_into if patient.is_merged else None
    return render(request, "patients/detail.html", {
        "patient": patient,
        "survivor": survivor,
        "survivor_visible": survivor is not None and has_permission(request.user, VIEW_RECORD, survivor),
        "documents": documents,
        "ins_oid_label": INS_OID_LABELS.get(patient.ins_oid, patient.ins_oid),
        "flags": [(code, FLAG_LABELS.get(code, code)) for code in patient.identity_flags or []],
        "identifiers": list(patient.identifiers.all()),
        "care_team": list(patient.care_team.select_related("practitioner").order_by("since", "id")),
        "timeline": patient_timeline(patient, reports=documents.key_reports, drafts=works),
        "shows_drafts": works,
        "can_edit": can_edit,
        "can_view_history": has_permission(request.user, VIEW_HISTORY, patient),
        "can_register": has_permission(request.user, REGISTER) and not patient.is_merged,
        "care_team_form": CareTeamForm() if can_edit else None,
        # The studies of the hospitals' PACS, loaded by htmx after the page (a slow source never holds it).
        "imaging_panel": "imaging/_panel_loader.html",
    })
