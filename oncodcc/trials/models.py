"""The regional registry of clinical trials: what a trial looks for (structured criteria checked by `matching`) and
where it is open (hospitals of the directory, each with its local investigator and contact)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oncodcc.core.validators import no_control_characters
from oncodcc.terminology import valuesets

from .criteria import ConditionError, parse_condition
from .vocabulary import statistics_items

# Lines of treatment, read from the fiche: first line = initial phase without progression; later = relapse or
# progression.
LINE_FIRST = "1"
LINE_LATER = "2+"
LINES = (LINE_FIRST, LINE_LATER)


class Trial(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("ouvert aux inclusions")
        SUSPENDED = "suspended", _("inclusions suspendues")
        CLOSED = "closed", _("clos")

    class Phase(models.TextChoices):
        I = "I", _("phase I")  # noqa: E741
        I_II = "I/II", _("phase I/II")
        II = "II", _("phase II")
        II_III = "II/III", _("phase II/III")
        III = "III", _("phase III")
        IV = "IV", _("phase IV")
        OTHER = "NA", _("autre (non applicable)")

    eu_ct_number = models.CharField(_("numéro EU CT"), max_length=30, blank=True,
                                    help_text=_("Règlement européen 536/2014, ex. 2024-512345-12-00."))
    nct_id = models.CharField(_("identifiant NCT"), max_length=20, blank=True,
                              help_text=_("ClinicalTrials.gov, ex. NCT01234567."))
    national_id = models.CharField(_("identifiant national"), max_length=40, blank=True,
                                   help_text=_("ID-RCB ou numéro du registre national."))
    title = models.CharField(_("titre"), max_length=500, validators=[no_control_characters])
    acronym = models.CharField(_("acronyme"), max_length=60, blank=True, validators=[no_control_characters])
    phase = models.CharField(_("phase"), max_length=6, choices=Phase.choices, default=Phase.OTHER)
    sponsor = models.CharField(_("promoteur"), max_length=200, blank=True, validators=[no_control_characters])
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    organs = models.JSONField(_("organes"), default=list, blank=True, help_text=_("Codes JDV_RCP_Organe_CISIS."))
    topographies = models.JSONField(_("topographies (CIM-10)"), default=list, blank=True,
                                    help_text=_("Préfixes CIM-10, ex. C50 ou C34.1."))
    morphologies = models.JSONField(_("morphologies (CIM-O-3)"), default=list, blank=True,
                                    help_text=_("Préfixes CIM-O-3, ex. 8500 ou 8140/3."))
    stages = models.JSONField(_("stades"), default=list, blank=True,
                              help_text=_("Codes de stade du formulaire d'organe, ex. IV, IIIB, metastatique."))
    lines = models.JSONField(_("lignes de traitement"), default=list, blank=True,
                             help_text=_("1 (phase initiale) et/ou 2+ (rechute ou progression)."))
    biomarkers = models.JSONField(_("conditions biomarqueurs"), default=list, blank=True,
                                  help_text=_("Ex. her2_statut=low ; egfr=mute ; pdl1_tps>=50."))
    min_age = models.PositiveSmallIntegerField(_("âge minimal (ans)"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("âge maximal (ans)"), null=True, blank=True)
    max_performance_status = models.PositiveSmallIntegerField(
        _("état général OMS maximal"), null=True, blank=True, choices=[(n, str(n)) for n in range(5)])
    other_criteria = models.TextField(_("autres critères (texte libre)"), blank=True,
                                      validators=[no_control_characters])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("essai clinique")
        verbose_name_plural = _("essais cliniques")
        ordering = ["acronym", "title"]
        constraints = [
            models.UniqueConstraint(fields=["eu_ct_number"], condition=~Q(eu_ct_number=""), name="trial_unique_eu_ct"),
            models.UniqueConstraint(fields=["nct_id"], condition=~Q(nct_id=""), name="trial_unique_nct"),
            models.UniqueConstraint(fields=["national_id"], condition=~Q(national_id=""),
                                    name="trial_unique_national_id"),
        ]

    def __str__(self) -> str:
        name = f"{self.acronym} — {self.title}" if self.acronym else self.title
        return f"{name} ({self.identifier})"

    @property
    def identifier(self) -> str:
        """The id carried in documents and exchanges: EU CT number first, then NCT, then national id."""
        return self.eu_ct_number or self.nct_id or self.national_id

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def conditions(self):
        return [parse_condition(text) for text in self.biomarkers]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not (self.eu_ct_number or self.nct_id or self.national_id):
            errors["eu_ct_number"] = "Indiquez au moins un identifiant (EU CT, NCT ou national)."
        unknown = [code for code in self.organs or [] if code not in valuesets.get(valuesets.ORGAN)]
        if unknown:
            errors["organs"] = f"Code(s) d'organe inconnu(s) : {', '.join(unknown)}."
        wrong_lines = [line for line in self.lines or [] if line not in LINES]
        if wrong_lines:
            errors["lines"] = f"Ligne(s) inconnue(s) : {', '.join(wrong_lines)} ; attendues : 1, 2+."
        known_items = statistics_items()
        for text in self.biomarkers or []:
            try:
                condition = parse_condition(text)
            except ConditionError as exc:
                errors["biomarkers"] = str(exc)
                continue
            if condition.item not in known_items:
                errors["biomarkers"] = (f"condition « {text} » : « {condition.item} » n'est pas un item des colonnes "
                                        "de statistiques des formulaires d'organe (ex. her2_statut, egfr, pdl1_tps).")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            errors["max_age"] = "L'âge maximal est inférieur à l'âge minimal."
        if errors:
            raise ValidationError(errors)


class TrialSite(models.Model):
    """A hospital where the trial is open, with the local investigator and whom to contact."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="sites")
    organisation = models.ForeignKey("directory.Organisation", verbose_name=_("établissement"),
                                     on_delete=models.PROTECT, related_name="trial_sites")
    investigator = models.CharField(_("investigateur local"), max_length=200, blank=True,
                                    validators=[no_control_characters])
    contact = models.CharField(_("contact"), max_length=200, blank=True, validators=[no_control_characters],
                               help_text=_("Attaché(e) de recherche clinique : courriel ou téléphone."))

    class Meta:
        verbose_name = _("centre ouvert")
        verbose_name_plural = _("centres ouverts")
        constraints = [models.UniqueConstraint(fields=["trial", "organisation"], name="trial_site_unique")]

    def __str__(self) -> str:
        return str(self.organisation)
