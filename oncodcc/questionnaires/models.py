"""Published organ forms (immutable FHIR Questionnaire versions) and the organ answers of each fiche."""

import hashlib
import json
from functools import lru_cache

from django.db import models
from django.utils.translation import gettext_lazy as _

from .definition import STATISTICS_COLUMNS, FormDefinition, parse


def canonical_json(data: dict) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=256)
def _parsed(sha256: str, text: str) -> FormDefinition:
    return parse(json.loads(text), source=sha256[:12])


class Questionnaire(models.Model):
    """One published version of an organ form. Immutable: a change is a new version."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("publiée")
        RETIRED = "retired", _("retirée")
        DRAFT = "draft", _("brouillon")

    url = models.CharField(_("URL canonique"), max_length=200, db_index=True)
    version = models.CharField(_("version"), max_length=20)
    name = models.CharField(_("nom"), max_length=100)
    title = models.CharField(_("titre"), max_length=200)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    definition = models.JSONField(_("définition (FHIR Questionnaire)"))
    sha256 = models.CharField(max_length=64, editable=False)
    organs = models.JSONField(_("organes / soins"), default=list, blank=True)
    published_at = models.DateTimeField(_("publiée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("formulaire d'organe (version publiée)")
        verbose_name_plural = _("formulaires d'organe")
        ordering = ["title", "-published_at"]
        constraints = [models.UniqueConstraint(fields=["url", "version"], name="questionnaire_unique_version")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def canonical(self) -> str:
        return f"{self.url}|{self.version}"

    @property
    def form(self) -> FormDefinition:
        return _parsed(self.sha256, canonical_json(self.definition))

    def save(self, *args, **kwargs):  # noqa: DJ012
        digest = hashlib.sha256(canonical_json(self.definition).encode("utf-8")).hexdigest()
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("sha256", "url", "version").first()
            if stored and stored != (digest, self.url, self.version):
                raise ValueError("A published questionnaire version is immutable: publish a new version.")
        self.sha256 = digest
        super().save(*args, **kwargs)


class FicheAnswers(models.Model):
    """The organ-specific answers of a fiche, as a FHIR QuestionnaireResponse pinned to `url|version`, with the
    statistics items promoted to indexed columns (infocentre, search)."""

    fiche = models.OneToOneField("rcp.Fiche", on_delete=models.CASCADE, related_name="organ_answers")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="answers")
    response = models.JSONField(_("réponses (FHIR QuestionnaireResponse)"), default=dict)
    carried_over_from = models.ForeignKey(
        "rcp.Fiche", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("Fiche dont les réponses ont été reprises (à vérifier)."),
    )
    stat_stage = models.CharField(max_length=100, blank=True, db_index=True)
    stat_grade = models.CharField(max_length=100, blank=True, db_index=True)
    stat_histology = models.CharField(max_length=100, blank=True, db_index=True)
    stat_biomarker_1 = models.CharField(max_length=100, blank=True, db_index=True)
    stat_biomarker_2 = models.CharField(max_length=100, blank=True, db_index=True)
    stat_biomarker_3 = models.CharField(max_length=100, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    STAT_FIELDS = [f"stat_{column}" for column in STATISTICS_COLUMNS]

    class Meta:
        verbose_name = _("réponses d'organe")
        verbose_name_plural = _("réponses d'organe")

    def __str__(self) -> str:
        return f"{self.questionnaire} — fiche {self.fiche_id}"
