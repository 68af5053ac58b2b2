"""The Diffusion panel (htmx fragment on the fiche and PPS pages), *Renvoyer*, the 3C administrators' error
dashboard, and the patient's objection to the DMP."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.policy import AccessDenied, has_permission, require
from oncodcc.documents.models import Document
from oncodcc.patients.models import Patient
from oncodcc.patients.policy import EDIT, VIEW_RECORD

from . import opposition, outbox, selectors
from .models import Delivery
from .policy import RESEND, VIEW_ERRORS
from .tasks import enqueue_send


def _panel(request, document: Document):
    deliveries = selectors.deliveries_of(document)
    for delivery in deliveries:
        delivery.can_resend = (delivery.state in selectors.RESENDABLE
                               and has_permission(request.user, RESEND, delivery))
    return render(request, "diffusion/_panel.html", {
        "document": document, "deliveries": deliveries, "polling": any(d.state in selectors.MOVING
                                                                         for d in deliveries)})


@require_GET
def panel(request, pk: int):
    document = Document.objects.select_related("patient").filter(pk=pk).first()
    if document is None or document.kind == Document.Kind.RECEIVED:
        raise Http404
    if not has_permission(request.user, VIEW_RECORD, document.patient):
        raise AccessDenied("Vous n'avez pas accès au dossier de ce patient.", patient_id=document.patient_id)
    return _panel(request, document)


@require_POST
def resend(request, pk: int):
    delivery = get_object_or_404(Delivery.objects.select_related("document__patient"), pk=pk)
    require(request.user, RESEND, delivery, message="Seuls le secrétariat, le coordinateur de la RCP et les "
                                                    "administrateurs du 3C renvoient un document.")
    with transaction.atomic():
        outbox.requeue(delivery)
        audit.record(actor=request.user, action=Action.DIFFUSION_RESEND, patient_id=delivery.document.patient_id,
                     obj=delivery, details={"channel": delivery.channel, "document": delivery.document_id})
        transaction.on_commit(enqueue_send)
    if request.htmx:
        return _panel(request, delivery.document)
    messages.success(request, "Le document sera renvoyé dans quelques instants.")
    return redirect(request.POST.get("next") or "front:home")


@require_GET
def errors(request):
    require(request.user, VIEW_ERRORS, message="Tableau réservé aux administrateurs du 3C et du DSRC.")
    return render(request, "diffusion/errors.html", {"deliveries": selectors.errors_for(request.user)})


@require_POST
def dmp_opposition(request, pk: int):
    patient = get_object_or_404(Patient, pk=pk)
    require(request.user, EDIT, patient, message="Vous ne pouvez pas modifier ce dossier.", patient_id=patient.pk)
    objects = request.POST.get("opposition") == "1"
    opposition.set_dmp_opposition(actor=request.user, patient=patient, opposed=objects)
    messages.success(request, "Opposition à l'alimentation du DMP enregistrée." if objects
                     else "Opposition à l'alimentation du DMP levée.")
    return redirect("patients:detail", patient.pk)
