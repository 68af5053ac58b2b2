"""PDF reports (WeasyPrint, PDF/A-3b)."""

from .renderer import fiche_html, header_source, html_to_pdf, render_fiche_pdf, write_fiche_pdf

__all__ = ["fiche_html", "header_source", "html_to_pdf", "render_fiche_pdf", "write_fiche_pdf"]
