"""The patient's care plan after the RCP: PPS (programme personnalisé de soins, CI-SIS "PPS 2022.01") and PPAC
(programme personnalisé de l'après-cancer, kept as a kind only: no national content model exists).

Versioned like the fiche RCP: a validated plan is never edited; an update creates a new draft version (same
set_id, version_number + 1) carrying a reason from JDV_MotifMiseAJour (mandatory from version 2)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from oncodcc.core.locking import LockVersioned
from oncodcc.core.validators import no_control_characters
from oncodcc.terminology import valuesets as vs


class CarePlan(LockVersioned):
    class Kind(models.TextChoices):
        PPS = "PPS", _("Programme personnalisé de soins (PPS)")
        PPAC = "PPAC", _("Programme personnalisé de l'après-cancer (PPAC)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        VALIDATED = "validated", _("validé")
        SUPERSEDED = "superseded", _("remplacé par une version ultérieure")

    kind = models.CharField(_("type"), max_length=4, choices=Kind.choices, default=Kind.PPS)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="care_plans")
    fiche = models.ForeignKey(
        "rcp.Fiche", verbose_name=_("fiche RCP"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="care_plans", help_text=_("La fiche RCP validée que le programme met en œuvre."),
    )
    set_id = models.UUIDField(_("identifiant du document"), default=uuid.uuid4, db_index=True)
    version_number = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    update_reason = models.CharField(
        _("motif de mise à jour"), max_length=20, blank=True, choices=vs.get(vs.UPDATE_REASON).choices()
    )
    update_reason_text = models.CharField(
        _("précision sur le motif"), max_length=300, blank=True, validators=[no_control_characters]
    )
    referring_doctor = models.ForeignKey(
        "directory.Practitioner", verbose_name=_("médecin référent"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    rcp_date = models.DateField(_("date de la RCP"), null=True, blank=True)
    # Programme thérapeutique et de suivi (MED-566)
    side_effect_prevention = models.JSONField(
        _("prévention des effets secondaires"), default=list, blank=True,
        help_text=_("Codes JDV_GestionEffetsSecondaires_CISIS."),
    )
    side_effect_comment = models.TextField(_("précisions (effets secondaires)"), blank=True,
                                           validators=[no_control_characters])
    associated_measures = models.JSONField(_("mesures associées"), default=list, blank=True,
                                           help_text=_("Codes JDV_MesuresAssociees_CISIS."))
    associated_measures_comment = models.TextField(_("précisions (mesures associées)"), blank=True,
                                                   validators=[no_control_characters])
    follow_up = models.JSONField(_("suivi"), default=list, blank=True, help_text=_("Codes JDV_TypeDeSuivi_CISIS."))
    follow_up_text = models.TextField(_("modalités du suivi"), blank=True, validators=[no_control_characters])
    all_treatments_stopped = models.BooleanField(_("arrêt de tous les traitements actifs"), default=False)
    treatments_stopped_on = models.DateField(_("date de l'arrêt des traitements"), null=True, blank=True)
    # Soins oncologiques de support, accompagnement social et socioprofessionnel (MED-567)
    supportive_care = models.JSONField(_("soins oncologiques de support"), default=list, blank=True,
                                       help_text=_("Codes JDV_SoinsOncoDeSupport_CISIS."))
    supportive_care_comment = models.TextField(_("précisions (soins de support)"), blank=True,
                                               validators=[no_control_characters])
    socio_support = models.JSONField(_("accompagnement socioprofessionnel"), default=list, blank=True,
                                     help_text=_("Codes JDV_TypeAccompagnementSocioPro_CISIS."))
    socio_support_comment = models.TextField(_("précisions (accompagnement)"), blank=True,
                                             validators=[no_control_characters])
    comment = models.TextField(_("commentaire"), blank=True, validators=[no_control_characters])
    # Remise au patient (consultation d'annonce)
    handed_over_at = models.DateField(_("date de remise au patient"), null=True, blank=True)
    handed_over_by = models.ForeignKey(
        "directory.Practitioner", verbose_name=_("remis par"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    validated_at = models.DateTimeField(_("validé le"), null=True, blank=True, editable=False)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("validé par"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False,
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Fields a writer edits through services.update (also copied to a new version).
    EDITABLE_FIELDS = [
        "referring_doctor", "rcp_date", "side_effect_prevention", "side_effect_comment", "associated_measures",
        "associated_measures_comment", "follow_up", "follow_up_text", "all_treatments_stopped",
        "treatments_stopped_on", "supportive_care", "supportive_care_comment", "socio_support",
        "socio_support_comment", "comment", "update_reason", "update_reason_text",
    ]
    # Coded list fields and their value sets.
    CODED_LISTS = {
        "side_effect_prevention": vs.SIDE_EFFECT_MANAGEMENT,
        "associated_measures": vs.ASSOCIATED_MEASURE,
        "follow_up": vs.FOLLOW_UP_TYPE,
        "supportive_care": vs.SUPPORTIVE_CARE,
        "socio_support": vs.SOCIO_PRO_SUPPORT,
    }

    class Meta:
        verbose_name = _("programme personnalisé de soins")
        verbose_name_plural = _("programmes personnalisés de soins")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["set_id", "version_number"], name="careplan_unique_version"),
            models.UniqueConstraint(fields=["set_id"], condition=models.Q(status="draft"),
                                    name="careplan_one_draft_per_set"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version_number} — {self.patient}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def update_reason_label(self) -> str:
        return vs.label(vs.UPDATE_REASON, self.update_reason)


class PlannedTreatment(models.Model):
    """One anticancer treatment of the programme (MED-568), in order."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="treatments")
    order = models.PositiveSmallIntegerField(_("ordre"), default=1)
    code = models.CharField(_("type de traitement"), max_length=20,
                            choices=vs.get(vs.PPS_TREATMENT_TYPE).choices())
    start_date = models.DateField(_("début prévu"), null=True, blank=True)
    end_date = models.DateField(_("fin prévue"), null=True, blank=True)
    rhythm = models.CharField(_("rythme"), max_length=200, blank=True, validators=[no_control_characters])
    place = models.CharField(_("lieu"), max_length=200, blank=True, validators=[no_control_characters])
    at_home = models.BooleanField(_("traitement à domicile"), default=False)
    administration = models.CharField(_("mode d'administration"), max_length=200, blank=True,
                                      validators=[no_control_characters])
    side_effects = models.CharField(_("effets secondaires notables"), max_length=500, blank=True,
                                    validators=[no_control_characters])
    comment = models.CharField(_("commentaire"), max_length=500, blank=True, validators=[no_control_characters])

    FIELDS = ["order", "code", "start_date", "end_date", "rhythm", "place", "at_home", "administration",
              "side_effects", "comment"]

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("traitement programmé")
        verbose_name_plural = _("traitements programmés")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return vs.label(vs.PPS_TREATMENT_TYPE, self.code)


class Contact(models.Model):
    """A useful contact for the patient (general part of the PPS)."""

    class Role(models.TextChoices):
        CCC = "3C", _("Centre de coordination en cancérologie (3C)")
        REFERENCE_HOSPITAL = "ES", _("Établissement de santé de référence")
        REFERRING = "referring", _("Médecin référent")
        GP = "gp", _("Médecin traitant")
        NURSE = "nurse", _("Infirmier(ère)")
        COORDINATION = "coordination", _("Coordination ville-hôpital")
        STRUCTURE = "structure", _("Structure de soins ou d'accompagnement")
        OTHER = "other", _("Autre")

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="contacts")
    order = models.PositiveSmallIntegerField(_("ordre"), default=1)
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    structure = models.CharField(
        _("type de structure"), max_length=20, blank=True, choices=vs.get(vs.CARE_STRUCTURE).choices(),
        help_text=_("Code JDV_StructuresDeSoins_CISIS, pour une structure."),
    )
    name = models.CharField(_("nom"), max_length=200, validators=[no_control_characters])
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("messagerie"), blank=True)
    practitioner = models.ForeignKey("directory.Practitioner", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    organisation = models.ForeignKey("directory.Organisation", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    FIELDS = ["order", "role", "structure", "name", "phone", "email", "practitioner", "organisation"]

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("contact utile")
        verbose_name_plural = _("contacts utiles")

    def __str__(self) -> str:
        return f"{self.get_role_display()} : {self.name}"
