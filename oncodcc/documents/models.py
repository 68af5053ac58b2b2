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


class Document(models.Model):
    """One version of a document in the store: generated here (fiche RCP, PPS, PPAC) or received from a hospital
    or a lab (HL7 ORU/MDM, FHIR DocumentReference). Generated renderings (PDF/A, CDA R2) are produced by the task
    worker; a received CDA (and the PDF inside a level-1 CDA) is stored as received. Each is kept with its SHA-256."""

    class Kind(models.TextChoices):
        FRCP = "frcp", _("Fiche RCP")
        PPS = "pps", _("Programme personnalisé de soins")
        PPAC = "ppac", _("Programme personnalisé de l'après-cancer")
        RECEIVED = "received", _("Document reçu")

    class Status(models.TextChoices):
        CURRENT = "current", _("en vigueur")
        SUPERSEDED = "superseded", _("remplacé par une version ultérieure")
        DELETED = "deleted", _("supprimé par l'émetteur")

    class Channel(models.TextChoices):
        GENERATED = "", _("produit par OncoDCC")
        HL7 = "hl7", _("reçu en HL7 v2")
        FHIR = "fhir", _("reçu par l'API FHIR")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    type_code = models.CharField(_("code LOINC du type"), max_length=20)
    title = models.CharField(_("titre"), max_length=300)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="documents")
    fiche = models.OneToOneField("rcp.Fiche", null=True, blank=True, on_delete=models.PROTECT, related_name="document")
    care_plan = models.OneToOneField("careplans.CarePlan", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="document")
    set_id = models.UUIDField(_("identifiant du document"), db_index=True)
    version_number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.CURRENT)
    # JDV_StatutDoc_CISIS code of the clinical document (9571008 approuvé for a signed version).
    status_code = models.CharField(_("statut du document (JDV_StatutDoc)"), max_length=20, default="9571008")
    author = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey("directory.Organisation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    # --- received documents ---
    channel = models.CharField(_("origine"), max_length=5, choices=Channel.choices, default="", blank=True)
    sender = models.ForeignKey("directory.Organisation", verbose_name=_("émetteur"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    # ClinicalDocument/id and setId as received (root^extension): the sender's identifiers of this version/set.
    external_id = models.CharField(_("identifiant de l'émetteur"), max_length=200, blank=True, db_index=True)
    external_set_id = models.CharField(_("identifiant de lot de l'émetteur"), max_length=200, blank=True)
    effective_at = models.DateTimeField(_("date du document"), null=True, blank=True)
    author_label = models.CharField(_("auteur"), max_length=300, blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    cda_level = models.PositiveSmallIntegerField(_("niveau CDA"), null=True, blank=True)
    # --- a generated document withdrawn (entered in error): sent as a deletion to every recipient that had it ---
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", verbose_name=_("retiré par"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    withdrawal_reason = models.CharField(_("motif du retrait"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["set_id", "version_number"], name="document_unique_version")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version_number}"

    @property
    def is_received(self) -> bool:
        return self.kind == self.Kind.RECEIVED

    @property
    def type_label(self) -> str:
        from .received import type_label

        return type_label(self.type_code)

    @property
    def has_pending(self) -> bool:
        return any(r.state == Rendering.State.PENDING for r in self.renderings.all())


class Rendering(models.Model):
    """A rendering of a document (PDF/A or CDA R2), written by the worker into the content-addressed file store."""

    class Format(models.TextChoices):
        PDF = "pdf", "PDF/A"
        CDA = "cda", "CDA R2"

    class State(models.TextChoices):
        PENDING = "pending", _("en cours de génération")
        READY = "ready", _("disponible")
        FAILED = "failed", _("échec")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="renderings")
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PENDING)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    error = models.CharField(_("erreur"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rendu")
        constraints = [models.UniqueConstraint(fields=["document", "format"], name="rendering_unique_format")]

    def __str__(self) -> str:
        return f"{self.document} — {self.get_format_display()} ({self.get_state_display()})"

    @property
    def media_type(self) -> str:
        return "application/pdf" if self.format == self.Format.PDF else "application/xml"

    @property
    def extension(self) -> str:
        return "pdf" if self.format == self.Format.PDF else "xml"
