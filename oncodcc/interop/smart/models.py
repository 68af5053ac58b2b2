"""API clients and their bearer tokens. Secrets and tokens are high-entropy random strings: only their SHA-256 is
kept (a leaked table gives nothing usable), and the secret is shown once, when the client is created."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiClient(models.Model):
    name = models.CharField(_("nom"), max_length=100, unique=True)
    client_id = models.CharField(_("identifiant client (client_id)"), max_length=64, unique=True, editable=False)
    secret_hash = models.CharField(_("empreinte du secret"), max_length=64, editable=False)
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("établissement"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="api_clients",
        help_text=_("Vide : client régional du DSRC (p. ex. l'infocentre), qui voit tous les patients."),
    )
    scopes = models.TextField(
        _("scopes SMART"), help_text=_("Séparés par des espaces, p. ex. « system/Patient.read "
                                       "system/DocumentReference.* »."),
    )
    active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("client de l'API FHIR")
        verbose_name_plural = _("clients de l'API FHIR")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class AccessToken(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    scopes = models.TextField(_("scopes accordés"))
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"), db_index=True)

    class Meta:
        verbose_name = _("jeton d'accès")
        verbose_name_plural = _("jetons d'accès")

    def __str__(self) -> str:
        return f"{self.client} → {self.expires_at:%d/%m/%Y %H:%M}"


class StagedBinary(models.Model):
    """A Binary POSTed by a client before the DocumentReference that points at it (`attachment.url`): the bytes
    wait in the content-addressed store; only that client may read or use it."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="binaries")
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    # The received document filed from it (plain id: documents keep no link back to a staging area).
    document_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("contenu déposé (Binary)")
        verbose_name_plural = _("contenus déposés (Binary)")

    def __str__(self) -> str:
        return f"Binary/staged-{self.pk} ({self.content_type}, {self.size} o)"
