"""Image sources (a hospital's PACS or the regional image network, reached over DICOMweb) and the studies the
secretary pins to a registration so that the room sees them first. The studies themselves stay in the sources:
OncoDCC stores only what it needs to list and open a pinned one."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedSecretField

STUDY_UID_PLACEHOLDER = "{study_uid}"


def validate_viewer_template(value: str) -> None:
    if value and STUDY_UID_PLACEHOLDER not in value:
        raise ValidationError(_("Le modèle d'adresse du visualiseur doit contenir {study_uid}."))
    if value and not value.startswith(("https://", "http://")):
        raise ValidationError(_("Le modèle d'adresse du visualiseur doit commencer par https:// ou http://."))


class ImageSource(models.Model):
    class Auth(models.TextChoices):
        NONE = "none", _("aucune")
        BASIC = "basic", _("identifiant et mot de passe (HTTP Basic)")
        BEARER = "bearer", _("jeton (Bearer)")
        CERT = "cert", _("certificat client (TLS mutuel)")

    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("établissement"), on_delete=models.PROTECT,
        related_name="image_sources",
        help_text=_("L'établissement dont les IPP identifient les patients dans cette source."),
    )
    name = models.CharField(_("nom"), max_length=120, help_text=_("Affiché à côté de chaque examen (ex. « PACS du CH »)."))
    dicomweb_url = models.URLField(
        _("adresse DICOMweb (QIDO-RS, WADO-RS)"), max_length=500,
        help_text=_("Racine DICOMweb, sans /studies : ex. https://pacs.exemple.fr/dicom-web"),
    )
    viewer_url_template = models.CharField(
        _("modèle d'adresse du visualiseur"), max_length=500, blank=True, validators=[validate_viewer_template],
        help_text=_("Ex. https://viewer.exemple.fr/viewer?StudyInstanceUIDs={study_uid} (OHIF, Weasis…)."),
    )
    issuer = models.CharField(
        _("émetteur des IPP (IssuerOfPatientID)"), max_length=64, blank=True,
        help_text=_("Vide : l'autorité d'affectation des IPP de l'établissement (son OID)."),
    )
    search_by_ins = models.BooleanField(
        _("chercher aussi par INS"), default=False,
        help_text=_("Pour une source qui connaît les patients par leur INS (réseau régional d'images) : PatientID = "
                    "matricule INS, IssuerOfPatientID = son OID ; identités qualifiées seulement, quel que soit "
                    "l'établissement."),
    )
    auth = models.CharField(_("authentification"), max_length=10, choices=Auth.choices, default=Auth.NONE)
    username = models.CharField(_("identifiant"), max_length=150, blank=True)
    # A password (basic) or a token (bearer): encrypted at rest; written, never shown back (the admin leaves it blank).
    secret = EncryptedSecretField(_("mot de passe ou jeton"), blank=True)
    client_certificate = models.CharField(
        _("certificat client (chemin du fichier PEM)"), max_length=500, blank=True,
        help_text=_("Sur le serveur OncoDCC ; le certificat peut contenir la clé."),
    )
    client_key = models.CharField(_("clé privée du certificat (chemin du fichier PEM)"), max_length=500, blank=True)
    timeout = models.FloatField(
        _("délai d'attente (secondes)"), default=5.0,
        help_text=_("Au-delà, le panneau Imagerie indique que la source ne répond pas."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("source d'images (DICOMweb)")
        verbose_name_plural = _("sources d'images (DICOMweb)")
        ordering = ("organisation__name", "name")
        constraints = [models.UniqueConstraint(fields=["organisation", "dicomweb_url"],
                                               name="image_source_unique_url")]

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"

    def clean(self) -> None:
        errors = {}
        if not 0 < self.timeout <= 60:
            errors["timeout"] = _("Le délai d'attente doit être compris entre 0 et 60 secondes.")
        if self.auth == self.Auth.BASIC and not self.username:
            errors["username"] = _("L'authentification par mot de passe demande un identifiant.")
        if self.auth == self.Auth.CERT and not self.client_certificate:
            errors["client_certificate"] = _("L'authentification par certificat demande le chemin du certificat.")
        if errors:
            raise ValidationError(errors)

    def viewer_url(self, study_uid: str) -> str:
        # str.replace, not str.format: the template may hold other braces of the viewer's own.
        return self.viewer_url_template.replace(STUDY_UID_PLACEHOLDER, study_uid)


class PinnedStudy(models.Model):
    """A study the secretary chose for the room ("images à projeter"): listed first in meeting mode."""

    registration = models.ForeignKey("rcp.Registration", verbose_name=_("inscription"), on_delete=models.CASCADE,
                                     related_name="pinned_studies")
    source = models.ForeignKey(ImageSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="+")
    study_uid = models.CharField(_("Study Instance UID"), max_length=64)
    study_date = models.DateField(_("date de l'examen"), null=True, blank=True)
    modalities = models.CharField(_("modalités"), max_length=60, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The key image shown in meeting mode (WADO-RS rendered), chosen when pinned; blank if the source had none.
    key_series_uid = models.CharField(_("série de l'image clé"), max_length=64, blank=True)
    key_instance_uid = models.CharField(_("instance de l'image clé"), max_length=64, blank=True)
    pinned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("épinglé par"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    pinned_at = models.DateTimeField(_("épinglé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("examen à projeter")
        verbose_name_plural = _("examens à projeter")
        ordering = ("pinned_at", "pk")
        constraints = [models.UniqueConstraint(fields=["registration", "source", "study_uid"],
                                               name="pinned_study_unique")]

    def __str__(self) -> str:
        return f"{self.study_date or ''} {self.modalities} {self.description}".strip()
