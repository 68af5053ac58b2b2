"""The patient's care plan (PPS, or PPAC after the cancer) as a PDF/A-3b document handed to the patient: plain
French, the organisation's header on every page (same machinery as the fiche RCP: header per organisation, fonts,
logo checks, page x / y footer). Server-side: only data: URIs are fetched (the logo)."""

import logging
from dataclasses import replace
from functools import cache
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone, translation

from oncodcc.careplans.models import CarePlan
from oncodcc.documents.models import DocumentHeader
from oncodcc.rcp.models import Board, Fiche

from . import logos
from .renderer import PDF_VARIANT, HeaderView, _stylesheet, _url_fetcher, header_source, header_view

logger = logging.getLogger(__name__)

STYLESHEET = Path(__file__).with_name("careplan.css")
TITLES = {
    CarePlan.Kind.PPS: "Programme personnalisé de soins",
    CarePlan.Kind.PPAC: "Programme personnalisé de l'après-cancer",
}


@cache
def _careplan_stylesheet():
    from weasyprint import CSS

    return CSS(string=STYLESHEET.read_text(encoding="utf-8"))


def _load(plan: CarePlan) -> CarePlan:
    return (CarePlan.objects
            .select_related("patient", "referring_doctor", "handed_over_by",
                            "fiche__registration__meeting__board__managing_3c")
            .prefetch_related("treatments", "contacts")
            .get(pk=plan.pk))


def careplan_board(plan: CarePlan) -> Board | None:
    """The RCP board the plan follows: its fiche's, else (a PPAC) the board of the patient's latest validated
    fiche, else None."""
    if plan.fiche_id:
        return plan.fiche.registration.meeting.board
    fiche = (Fiche.objects.filter(patient_id=plan.patient_id, status=Fiche.Status.VALIDATED)
             .select_related("registration__meeting__board__managing_3c").order_by("-validated_at", "-pk").first())
    return fiche.registration.meeting.board if fiche else None


def careplan_header(plan: CarePlan, *, with_logo: bool = True) -> HeaderView:
    """The fiche's header rules (first hospital of the board, else its 3C, else the plain 3C name); without a
    board, the header of the plan's 3C contact, else a plain one. The right column names the document."""
    title = TITLES[plan.kind]
    board = careplan_board(plan)
    if board is not None:
        return replace(header_view(board, header_source(board), with_logo=with_logo), board_name=title)
    ccc = next((c for c in plan.contacts.all() if c.role == "3C"), None)
    header = (DocumentHeader.objects.select_related("organisation").filter(organisation_id=ccc.organisation_id)
              .first() if ccc and ccc.organisation_id else None)
    if header is None:
        name = ccc.name if ccc else "OncoDCC"
        return HeaderView(name=name, lines=[], phone=ccc.phone if ccc else "", finess="", free_text="",
                          logo_uri=None, ccc_name=name, board_name=title, configured=False)
    organisation = header.organisation
    return HeaderView(
        name=header.name, lines=header.lines, phone=header.phone or organisation.phone,
        finess=organisation.finess if header.show_finess else "", free_text=header.free_text,
        logo_uri=logos.data_uri(header.logo) if with_logo else None,
        ccc_name=header.name, board_name=title, configured=True,
    )


def careplan_context(plan: CarePlan, *, with_logo: bool = True) -> dict:
    contacts = list(plan.contacts.all())
    return {
        "plan": plan, "patient": plan.patient, "title": TITLES[plan.kind],
        "is_pps": plan.kind == CarePlan.Kind.PPS,
        "treatments": list(plan.treatments.all()), "contacts": contacts,
        "contacts_email": any(c.email for c in contacts),
        "header": careplan_header(plan, with_logo=with_logo), "printed_at": timezone.now(),
    }


def careplan_html(plan: CarePlan, *, with_logo: bool = True) -> str:
    plan = _load(plan)
    with translation.override("fr"):
        return render_to_string("documents/careplan_pdf.html", careplan_context(plan, with_logo=with_logo))


def careplan_html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_url_fetcher()).write_pdf(
        stylesheets=[_stylesheet(), _careplan_stylesheet()], pdf_variant=PDF_VARIANT, uncompressed_pdf=False,
    )


def render_careplan_pdf(plan: CarePlan) -> bytes:
    """The PPS / PPAC as PDF/A-3b bytes. If the logo breaks the rendering, the document is rendered without it."""
    html = careplan_html(plan)
    try:
        return careplan_html_to_pdf(html)
    except Exception:
        if "data:image/" not in html:
            raise
        logger.warning("Programme %s : rendu PDF impossible avec le logo, rendu sans logo.", plan.pk, exc_info=True)
        return careplan_html_to_pdf(careplan_html(plan, with_logo=False))
