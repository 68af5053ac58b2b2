"""The "Imagerie" panel (loaded by htmx on the patient record and in meeting mode), the redirect that opens a
study in the viewer (checked and audited here: the viewer itself knows nothing of our policy), and the pinning of
studies to a registration by the board's secretary."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import AccessDenied, has_permission
from oncodcc.patients.models import Patient
from oncodcc.patients.policy import require
from oncodcc.rcp.models import Registration

from . import dicomweb, services
from .models import ImageSource, PinnedStudy
from .policy import PIN_STUDY, VIEW_STUDIES


def _patient(request, patient_id: int, purpose: str) -> Patient:
    patient = Patient.objects.prefetch_related("identifiers").filter(pk=patient_id).first()
    if patient is None:
        raise Http404
    require(request.user, VIEW_STUDIES, patient, purpose=purpose)
    return patient


def _registration(registration_id, patient: Patient) -> Registration | None:
    if not registration_id:
        return None
    try:
        return Registration.objects.select_related("meeting__board", "patient").get(
            pk=int(registration_id), patient=patient)
    except (ValueError, Registration.DoesNotExist) as exc:
        raise Http404 from exc


def _render_panel(request, patient: Patient, registration: Registration | None, *, error: str = "", status=200):
    found = services.patient_studies(patient)
    pinned = list(registration.pinned_studies.select_related("source")) if registration else []
    pinned_keys = {(p.source_id, p.study_uid) for p in pinned}
    if found.sources:
        audit.record(actor=request.user, action=Action.IMAGING_STUDIES_VIEW, patient=patient,
                     details={"studies": len(found.studies), "sources": found.sources,
                              "unavailable": len(found.problems), "registration": registration.pk if registration
                              else None})
    viewers = set(ImageSource.objects.exclude(viewer_url_template="").values_list("pk", flat=True))
    html = render_to_string("imaging/_panel.html", {
        "patient": patient,
        "registration": registration,
        "found": found,
        "pinned": pinned,
        "others": [s for s in found.studies if (s.source_id, s.uid) not in pinned_keys],
        "viewers": viewers,
        "can_pin": registration is not None and has_permission(request.user, PIN_STUDY, registration),
        "error": error,
    }, request=request)
    return HttpResponse(html, status=status)


@require_GET
def panel(request, patient_id: int):
    try:
        patient = _patient(request, patient_id, Action.IMAGING_STUDIES_VIEW)
    except AccessDenied:
        if not request.htmx:
            raise
        # The refusal is audited (require); htmx swaps only 2xx answers, so the panel says it in place.
        return HttpResponse('<p class="small text-muted mb-0">Vous n\'avez pas accès aux examens de ce patient.</p>')
    return _render_panel(request, patient, _registration(request.GET.get("inscription"), patient))


@require_GET
def open_study(request, patient_id: int, source_id: int, study_uid: str):
    patient = _patient(request, patient_id, Action.IMAGING_STUDY_VIEW)
    source = get_object_or_404(ImageSource, pk=source_id)
    # The study must be this patient's: pinned to one of their registrations, or found in the sources by their IPPs.
    known = PinnedStudy.objects.filter(registration__patient=patient, source=source, study_uid=study_uid).exists()
    if not known:
        found = services.patient_studies(patient)
        known = found.find(source.pk, study_uid) is not None
        if not known and found.problems:
            return render(request, "imaging/open_failed.html", {"patient": patient, "problems": found.problems},
                          status=503)
    if not known:
        raise Http404("Cet examen n'appartient pas au dossier de ce patient.")
    if not source.viewer_url_template:
        raise Http404("Aucun visualiseur n'est configuré pour cette source d'images.")
    audit.record(actor=request.user, action=Action.IMAGING_STUDY_VIEW, patient=patient, obj=source,
                 details={"study_uid": study_uid})
    return redirect(source.viewer_url(study_uid))


@require_GET
def key_image(request, pinned_id: int):
    """The pinned study's key image, fetched from the source (WADO-RS rendered): the browser never talks to the
    PACS, whose credentials stay here."""
    pinned = get_object_or_404(PinnedStudy.objects.select_related("source", "registration"), pk=pinned_id)
    patient = _patient(request, pinned.registration.patient_id, Action.IMAGING_STUDY_VIEW)
    if not pinned.key_instance_uid:
        raise Http404("Aucune image clé pour cet examen.")
    try:
        body, content_type = dicomweb.rendered(pinned.source, pinned.study_uid, pinned.key_series_uid,
                                           pinned.key_instance_uid)
    except dicomweb.SourceUnavailable as exc:
        return HttpResponse(exc.message, status=503, content_type="text/plain; charset=utf-8")
    audit.record(actor=request.user, action=Action.IMAGING_STUDY_VIEW, patient=patient, obj=pinned.source,
                 details={"study_uid": pinned.study_uid, "key_image": True})
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "private, max-age=300"
    return response


def _pin_registration(request, registration_id: int, purpose: str) -> Registration:
    registration = get_object_or_404(Registration.objects.select_related("meeting__board", "patient"),
                                     pk=registration_id)
    require(request.user, PIN_STUDY, registration.patient, purpose=purpose, target=registration,
            message="Seuls le secrétariat et le coordinateur de la RCP choisissent les images à projeter.")
    return registration


@require_POST
def pin(request, registration_id: int):
    registration = _pin_registration(request, registration_id, Action.IMAGING_STUDY_PIN)
    patient = Patient.objects.prefetch_related("identifiers").get(pk=registration.patient_id)
    try:
        source_id = int(request.POST.get("source", ""))
    except ValueError:
        source_id = 0
    study = services.patient_studies(patient).find(source_id, request.POST.get("study", ""))
    if study is None:
        # htmx swaps only 2xx answers: the panel shows the message in place; a plain POST gets a 400.
        return _render_panel(request, patient, registration, status=200 if request.htmx else 400,
                             error="Cet examen n'a pas été retrouvé dans les sources d'images du patient.")
    services.pin(by=request.user, registration=registration, study=study)
    return _render_panel(request, patient, registration)


@require_POST
def unpin(request, registration_id: int, pinned_id: int):
    registration = _pin_registration(request, registration_id, Action.IMAGING_STUDY_UNPIN)
    pinned = get_object_or_404(PinnedStudy, pk=pinned_id, registration=registration)
    services.unpin(by=request.user, pinned=pinned)
    patient = Patient.objects.prefetch_related("identifiers").get(pk=registration.patient_id)
    return _render_panel(request, patient, registration)
