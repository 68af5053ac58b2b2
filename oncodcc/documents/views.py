"""Downloads of renderings (authorised per patient, audited) and the rendering status shown while the worker runs."""

import re
import unicodedata

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from oncodcc.core.policy import require
from oncodcc.patients.policy import VIEW_RECORD, AccessDenied, has_permission

from . import selectors, services, store
from .models import Document, Rendering
from .policy import WITHDRAW

# What a person files the download under: the kind, the patient, the date and the version.
KIND_PREFIX = {Document.Kind.FRCP: "Fiche-RCP", Document.Kind.PPS: "PPS", Document.Kind.PPAC: "PPAC",
               Document.Kind.RECEIVED: "Document-recu"}


def download_name(document: Document, extension: str) -> str:
    """'Fiche-RCP_DUBOIS-LEFEVRE_Eloise_2026-12-07_v2.pdf': what a secretary or a doctor files the document
    under, instead of an identifier. Accents and spaces are folded so that every mail client and file system
    keeps the name (the header also carries it in UTF-8)."""
    patient = document.patient
    when = timezone.localtime(document.effective_at or document.created_at).date().isoformat()
    given = patient.used_given_name or patient.first_birth_given_name
    parts = [KIND_PREFIX.get(document.kind, document.kind), patient.birth_name.upper(), given, when,
             f"v{document.version_number}"]
    return "_".join(_file_safe(part) for part in parts if part) + f".{extension}"


def _file_safe(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")


@require_GET
def download(request, pk: int, fmt: str):
    if fmt not in Rendering.Format.values:
        raise Http404
    try:
        rendering = selectors.rendering_for_download(user=request.user, document_id=pk, fmt=fmt)
    except Rendering.DoesNotExist as exc:
        raise Http404 from exc
    if rendering.state != Rendering.State.READY:
        return HttpResponse("Ce document est en cours de génération : réessayez dans quelques secondes.",
                            status=409, content_type="text/plain; charset=utf-8")
    try:
        content = store.get(rendering.sha256, rendering.extension)
    except (OSError, store.CorruptRendering) as exc:
        raise Http404("Fichier du document introuvable ou altéré.") from exc
    response = HttpResponse(content, content_type=rendering.media_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=download_name(rendering.document, rendering.extension))
    response["X-Content-SHA256"] = rendering.sha256
    return response


@require_GET
def status(request, pk: int):
    """The renderings of a document (htmx polls it while one is pending)."""
    document = selectors.with_renderings(Document.objects.select_related("patient").filter(pk=pk)).first()
    if document is None:
        raise Http404
    if not has_permission(request.user, VIEW_RECORD, document.patient):
        raise AccessDenied("Vous n'avez pas accès au dossier de ce patient.")
    if document.has_pending:
        services.expedite(document)  # a past document waiting in the backlog: rendered next, while it is looked at
    return render(request, "documents/_renderings.html", {"document": document})


def _page_of(document: Document) -> str:
    if document.fiche_id:
        return reverse("rcp:fiche_detail", args=[document.fiche_id])
    return reverse("careplans:detail", args=[document.care_plan_id])


@require_http_methods(["GET", "POST"])
def withdraw(request, pk: int):
    """*Retirer le document*: a confirmation page asking the reason, then the withdrawal (sent as a deletion to
    every recipient that had it)."""
    document = get_object_or_404(Document.objects.select_related("patient", "fiche", "care_plan"), pk=pk)
    require(request.user, WITHDRAW, document, patient_id=document.patient_id,
            message="Seuls les médecins qui peuvent signer ce document peuvent le retirer.")
    error = ""
    if request.method == "POST":
        try:
            services.withdraw(document, actor=request.user, reason=request.POST.get("reason", ""))
        except services.WithdrawalError as exc:
            error = str(exc)
        else:
            messages.success(request, "Le document est retiré ; ses destinataires reçoivent l'annulation.")
            return redirect(_page_of(document))
    return render(request, "documents/withdraw.html", {"document": document, "error": error,
                                                       "back": _page_of(document),
                                                       "reason": request.POST.get("reason", "")},
                  status=400 if error else 200)
