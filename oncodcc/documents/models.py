"""Document layout settings: the header printed on the PDF reports, one per organisation (a 3C or a hospital)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

LOGO_CONTENT_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/svg+xml": "SVG"}
LOGO_MAX_BYTES = 1024 * 1024
FREE_TEXT_MAX = 500


class DocumentHeader(models.Model):
    """The header of the fiche RCP PDF for one organisation. The logo is kept in the database (bytes and content
    type): it is small (≤ 1 MB, checked by the admin form), backed up with the rest and needs no media storage."""

    organisation = models.OneToOneField(
        "directory.Organisation", verbose_name=_("organisation"), on_delete=models.CASCADE,
        related_name="document_header",
        help_text=_("Le 3C ou l'établissement dont l'en-tête est imprimé sur les fiches RCP."),
    )
    display_name = models.CharField(
        _("nom affiché"), max_length=200, blank=True, help_text=_("Vide : le nom de l'organisation dans l'annuaire.")
    )
    address_lines = models.TextField(
        _("adresse (une ligne par ligne imprimée)"), max_length=400, blank=True,
        help_text=_("Vide : l'adresse de l'organisation dans l'annuaire."),
    )
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    show_finess = models.BooleanField(_("afficher le FINESS"), default=True)
    logo = models.BinaryField(_("logo"), null=True, blank=True, editable=False)
    logo_content_type = models.CharField(_("type du logo"), max_length=20, blank=True, editable=False)
    free_text = models.TextField(
        _("texte libre"), max_length=FREE_TEXT_MAX, blank=True,
        help_text=_("Mention imprimée sous l'en-tête (500 caractères au plus), p. ex. le secrétariat des RCP."),
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("en-tête de document")
        verbose_name_plural = _("en-têtes de document")
        ordering = ["organisation__name"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.organisation.name

    @property
    def lines(self) -> list[str]:
        text = self.address_lines or self.organisation.address
        return [line.strip() for line in text.splitlines() if line.strip()]

    @property
    def has_logo(self) -> bool:
        return bool(self.logo) and self.logo_content_type in LOGO_CONTENT_TYPES
