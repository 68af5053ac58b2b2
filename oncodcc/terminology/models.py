"""The national value sets loaded into the database (`dcc terminology load`): for SQL reporting (infocentre),
browsing in the admin and the history of versions. Input validation reads the same shipped files
(valuesets.py), so both always agree for a given release."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ValueSet(models.Model):
    name = models.CharField(_("nom"), max_length=100, db_index=True)
    oid = models.CharField(_("OID"), max_length=64)
    version = models.CharField(_("version"), max_length=40)
    source = models.CharField(_("source"), max_length=300)
    sha256 = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(_("chargé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("jeu de valeurs")
        verbose_name_plural = _("jeux de valeurs")
        ordering = ["name", "-loaded_at"]
        constraints = [models.UniqueConstraint(fields=["oid", "version", "sha256"], name="valueset_unique_content")]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"


class Concept(models.Model):
    value_set = models.ForeignKey(ValueSet, on_delete=models.CASCADE, related_name="concepts")
    code = models.CharField(_("code"), max_length=40, db_index=True)
    system = models.CharField(_("système"), max_length=64)
    display = models.CharField(_("libellé"), max_length=300)

    class Meta:
        verbose_name = _("concept")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["value_set", "code", "system"], name="concept_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.display}"
