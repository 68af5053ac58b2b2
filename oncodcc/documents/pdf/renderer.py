"""The fiche RCP as a PDF/A-3b report (WeasyPrint): the organisation's header on every page, the proposal first,
then the meeting, then the case. Server-side: only data: URIs are fetched (the logo), nothing from the network
or the file system."""

import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone, translation

from oncodcc.core.files import atomic_write
from oncodcc.documents.models import DocumentHeader
from oncodcc.rcp.models import Board, Fiche
from oncodcc.rcp.selectors.fiches import fiche_view

from . import logos

logger = logging.getLogger(__name__)

STYLESHEET = Path(__file__).with_name("fiche.css")
PDF_VARIANT = "pdf/a-3b"


@dataclass
class HeaderView:
    """What the page header prints (a configured DocumentHeader or the plain default)."""

    name: str
    lines: list[str]
    phone: str
    finess: str
    free_text: str
    logo_uri: str | None
    ccc_name: str
    board_name: str
    configured: bool


def header_source(board: Board) -> DocumentHeader | None:
    """The board's first hospital's header if configured, else its 3C's, else None (plain default)."""
    through = Board.hospitals.through
    first_hospital = (through.objects.filter(board_id=board.pk).order_by("id")
                      .values_list("organisation_id", flat=True).first())
    candidates = [pk for pk in (first_hospital, board.managing_3c_id) if pk]
    headers = {h.organisation_id: h for h in
               DocumentHeader.objects.select_related("organisation").filter(organisation_id__in=candidates)}
    return next((headers[pk] for pk in candidates if pk in headers), None)


def header_view(board: Board, header: DocumentHeader | None, *, with_logo: bool = True) -> HeaderView:
    ccc = board.managing_3c
    if header is None:
        return HeaderView(name=ccc.name, lines=[], phone="", finess="", free_text="", logo_uri=None,
                          ccc_name=ccc.name, board_name=board.name, configured=False)
    organisation = header.organisation
    return HeaderView(
        name=header.name, lines=header.lines, phone=header.phone or organisation.phone,
        finess=organisation.finess if header.show_finess else "", free_text=header.free_text,
        logo_uri=logos.data_uri(header.logo) if with_logo else None,
        ccc_name=ccc.name, board_name=board.name, configured=True,
    )


@cache
def _stylesheet():
    from weasyprint import CSS

    return CSS(string=STYLESHEET.read_text(encoding="utf-8"))


@cache
def _url_fetcher():
    """Only data: URIs (the logo): nothing from the network or the server's file system."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)


def _load(fiche: Fiche) -> Fiche:
    return (Fiche.objects.select_related("patient", "registration__meeting__board__managing_3c",
                                         "registration__presenting_doctor", "registration__requesting_doctor")
            .prefetch_related("treatments", "further_tests", "tumours").get(pk=fiche.pk))


def fiche_context(fiche: Fiche, *, with_logo: bool = True) -> dict:
    meeting = fiche.registration.meeting
    board = meeting.board
    return {
        "fiche": fiche, "view": fiche_view(fiche), "meeting": meeting, "board": board, "patient": fiche.patient,
        "header": header_view(board, header_source(board), with_logo=with_logo),
        "printed_at": timezone.now(),
    }


def fiche_html(fiche: Fiche, *, with_logo: bool = True) -> str:
    fiche = _load(fiche)
    with translation.override("fr"):
        return render_to_string("documents/fiche_pdf.html", fiche_context(fiche, with_logo=with_logo))


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_url_fetcher()).write_pdf(
        stylesheets=[_stylesheet()], pdf_variant=PDF_VARIANT, uncompressed_pdf=False,
    )


def render_fiche_pdf(fiche: Fiche) -> bytes:
    """The fiche RCP as PDF/A-3b bytes. If the logo breaks the rendering, the document is rendered without it."""
    html = fiche_html(fiche)
    try:
        return html_to_pdf(html)
    except Exception:
        if "data:image/" not in html:
            raise
        logger.warning("Fiche %s : rendu PDF impossible avec le logo, rendu sans logo.", fiche.pk, exc_info=True)
        return html_to_pdf(fiche_html(fiche, with_logo=False))


def write_fiche_pdf(fiche: Fiche, path: str | os.PathLike) -> Path:
    """Write the PDF atomically (never half-written)."""
    return atomic_write(Path(path), render_fiche_pdf(fiche))


def header_preview_html(header: DocumentHeader, board: Board | None = None) -> str:
    """A sample page with the header, for the admin preview (no patient data)."""
    if board is None:
        board = (Board.objects.filter(hospitals=header.organisation).select_related("managing_3c").first()
                 or Board.objects.filter(managing_3c=header.organisation).select_related("managing_3c").first())
    view = header_view(board, header) if board else HeaderView(
        name=header.name, lines=header.lines, phone=header.phone or header.organisation.phone,
        finess=header.organisation.finess if header.show_finess else "", free_text=header.free_text,
        logo_uri=logos.data_uri(header.logo), ccc_name=_ccc_name(header.organisation), board_name="RCP (exemple)",
        configured=True,
    )
    with translation.override("fr"):
        return render_to_string("documents/header_preview.html", {"header": view})


def _ccc_name(organisation) -> str:
    if organisation.kind == "3C":
        return organisation.name
    parent = next((o for o in organisation.ancestors() if o.kind == "3C"), None)
    return parent.name if parent else "3C"


def header_preview_pdf(header: DocumentHeader) -> bytes:
    return html_to_pdf(header_preview_html(header))
