"""Patient identity (INS and its traits, identity status), local identifiers (IPP) and care team."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from oncodcc.core.text import fold
from oncodcc.core.validators import no_control_characters

from .matching import phonetic_key

# INS assigning authorities (DOMAIN.md §6).
OID_INS_NIR = "1.2.250.1.213.1.4.8"
OID_INS_NIA = "1.2.250.1.213.1.4.9"
OID_INS_NIR_TEST = "1.2.250.1.213.1.4.10"
OID_INS_NIR_DEMO = "1.2.250.1.213.1.4.11"
INS_OIDS_PRODUCTION = {OID_INS_NIR, OID_INS_NIA}
INS_OIDS_TEST = {OID_INS_NIR_TEST, OID_INS_NIR_DEMO}


class IdentityStatus(models.TextChoices):
    PROVISIONAL = "PROV", _("Identité provisoire")
    RETRIEVED = "RECUP", _("Identité récupérée")
    VALIDATED = "VALI", _("Identité validée")
    QUALIFIED = "QUAL", _("Identité qualifiée")


class Sex(models.TextChoices):
    FEMALE = "F", _("Féminin")
    MALE = "M", _("Masculin")
    UNDETERMINED = "I", _("Indéterminé")


class Patient(models.Model):
    # --- INS traits ---
    birth_name = models.CharField(_("nom de naissance"), max_length=100, validators=[no_control_characters])
    birth_given_names = models.CharField(
        _("prénom(s) de naissance"), max_length=200, validators=[no_control_characters],
        help_text=_("Liste des prénoms de naissance séparés par des espaces."),
    )
    first_birth_given_name = models.CharField(
        _("premier prénom de naissance"), max_length=100, validators=[no_control_characters]
    )
    birth_date = models.DateField(_("date de naissance"), db_index=True)
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    birthplace_insee = models.CharField(
        _("lieu de naissance (code INSEE)"), max_length=5, blank=True,
        help_text=_("Code officiel géographique de la commune (99xxx pour un pays étranger)."),
    )
    # --- used identity ---
    used_name = models.CharField(_("nom utilisé"), max_length=100, blank=True, validators=[no_control_characters])
    used_given_name = models.CharField(
        _("prénom utilisé"), max_length=100, blank=True, validators=[no_control_characters]
    )
    # --- INS ---
    ins_matricule = models.CharField(_("matricule INS"), max_length=15, blank=True, db_index=True)
    ins_oid = models.CharField(_("OID du matricule INS"), max_length=64, blank=True)
    identity_status = models.CharField(
        _("statut de l'identité"), max_length=5, choices=IdentityStatus.choices, default=IdentityStatus.PROVISIONAL
    )
    # Attribute flags of the identity (HL7 table 0445 / FR Core): DPOT, DOUA, COLP, FICT, DOUT, …
    identity_flags = models.JSONField(_("attributs de l'identité"), default=list, blank=True)
    # --- care ---
    gp = models.ForeignKey(
        "directory.Practitioner", verbose_name=_("médecin traitant"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="gp_patients",
    )
    deceased_date = models.DateField(_("date de décès"), null=True, blank=True)
    # The patient objected to his documents being sent to his DMP (Mon espace santé): the diffusion outbox skips
    # the DMP. Changed through diffusion.opposition.set_dmp_opposition (audited).
    dmp_opposition = models.BooleanField(_("opposition à l'alimentation du DMP"), default=False, editable=False)
    # Set when this record was merged into another (A40 from a hospital, identity vigilance): the record stays,
    # inactive, flagged DOUA + DESA, so that its history and the merge's before-image remain readable.
    merged_into = models.ForeignKey(
        "self", verbose_name=_("fusionné dans"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="merged_records", editable=False,
    )
    # Folded (accent- and case-free) birth and used names + given names, for search and duplicate detection.
    search_text = models.CharField(max_length=500, editable=False, db_index=True, default="")
    # French phonetic keys of the birth and used names (patients.matching.phonetic_key): blocking keys of the
    # duplicate search, so that it reads a few index entries whatever the size of the table.
    birth_name_key = models.CharField(max_length=8, blank=True, editable=False, db_index=True, default="")
    used_name_key = models.CharField(max_length=8, blank=True, editable=False, db_index=True, default="")
    # The best candidate duplicate found when the record was last compared (patients.candidates): orders the
    # identity vigilance worklist by tier (matching.TIER_RANK) then score. Null: no candidate shown.
    vigilance_rank = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    vigilance_score = models.FloatField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["birth_name", "first_birth_given_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ins_oid", "ins_matricule"], condition=~models.Q(ins_matricule=""), name="patient_unique_ins"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.birth_date:%d/%m/%Y})"

    def agree(self, masculine: str, feminine: str) -> str:
        """A word agreed with the patient's sex ("né" / "née"); both forms when the sex is unknown ("né(e)")."""
        if self.sex == Sex.FEMALE:
            return feminine
        if self.sex == Sex.MALE:
            return masculine
        return f"{masculine}({feminine[len(masculine):]})" if feminine.startswith(masculine) else \
            f"{masculine}/{feminine}"

    @property
    def born(self) -> str:
        return self.agree("né", "née")

    @property
    def display_name(self) -> str:
        """Birth name (and used name when it differs), as identity vigilance requires."""
        name = self.birth_name.upper()
        if self.used_name and fold(self.used_name) != fold(self.birth_name):
            name = f"{self.used_name.upper()} née {name}" if self.sex == Sex.FEMALE else f"{self.used_name.upper()} ({name})"
        given = self.used_given_name or self.first_birth_given_name
        return f"{name} {given}"

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def is_potential_duplicate(self) -> bool:
        return "DPOT" in (self.identity_flags or [])

    def refresh_search_text(self) -> None:
        self.search_text = fold(
            " ".join([self.birth_name, self.used_name, self.birth_given_names, self.used_given_name])
        )
        self.birth_name_key, self.used_name_key = phonetic_key(self.birth_name), phonetic_key(self.used_name)

    def save(self, *args, **kwargs):  # noqa: DJ012
        self.refresh_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text", "birth_name_key", "used_name_key"}
        super().save(*args, **kwargs)


class PatientIdentifier(models.Model):
    """A local identifier of the patient: IPP of a hospital, with the hospital's OID as assigning authority."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="identifiers")
    system = models.CharField(_("autorité d'affectation (OID)"), max_length=64)
    value = models.CharField(_("IPP"), max_length=64)
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("établissement"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )

    class Meta:
        verbose_name = _("identifiant local (IPP)")
        verbose_name_plural = _("identifiants locaux (IPP)")
        constraints = [models.UniqueConstraint(fields=["system", "value"], name="patient_identifier_unique")]
        indexes = [models.Index(fields=["value"])]

    def __str__(self) -> str:
        return f"{self.value} ({self.organisation or self.system})"


class CareTeamMember(models.Model):
    """A practitioner in charge of the patient: gives access to the record."""

    class Role(models.TextChoices):
        REFERRING = "referring", _("Médecin référent")
        SPECIALIST = "specialist", _("Spécialiste")
        GP = "gp", _("Médecin traitant")
        OTHER = "other", _("Autre")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team")
    practitioner = models.ForeignKey(
        "directory.Practitioner", on_delete=models.PROTECT, related_name="care_teams"
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.SPECIALIST)
    since = models.DateField(_("depuis"), auto_now_add=True)

    class Meta:
        verbose_name = _("membre de l'équipe de soins")
        verbose_name_plural = _("équipe de soins")
        constraints = [
            models.UniqueConstraint(fields=["patient", "practitioner"], name="care_team_unique_member")
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} — {self.get_role_display()}"


class PatientMerge(models.Model):
    """One merge of two records (the absorbed one into the survivor) with its before-image: which rows moved,
    the absorbed record's identifiers and flags, so that an identity vigilance team can review or undo it."""

    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_received")
    absorbed = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_given")
    merged_at = models.DateTimeField(_("fusionné le"), auto_now_add=True)
    actor_label = models.CharField(_("par"), max_length=200)
    reason = models.CharField(_("motif"), max_length=300)
    before_image = models.JSONField(_("état avant fusion"), default=dict)
    # Set when the merge was undone (patients.merge.unmerge): the row stays, as the trail of both operations.
    unmerged_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    unmerged_by_label = models.CharField(_("annulée par"), max_length=200, blank=True)
    unmerge_reason = models.CharField(_("motif de l'annulation"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("fusion de dossiers patients")
        verbose_name_plural = _("fusions de dossiers patients")
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.absorbed_id} → {self.survivor_id} ({self.merged_at:%d/%m/%Y})"


class PairDecision(models.Model):
    """A reviewer's decision about a pair of records, remembered so that the pair is never proposed again
    ("pas un doublon"). The pair is stored in one order (lower pk first) so that it is found from either side."""

    class Decision(models.TextChoices):
        NOT_DUPLICATE = "not_duplicate", _("Pas un doublon")

    patient_low = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="pair_decisions_low")
    patient_high = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="pair_decisions_high")
    decision = models.CharField(_("décision"), max_length=20, choices=Decision.choices)
    note = models.CharField(_("commentaire"), max_length=300)
    decided_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("décidé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("décision d'identitovigilance")
        verbose_name_plural = _("décisions d'identitovigilance")
        constraints = [
            models.UniqueConstraint(fields=["patient_low", "patient_high"], name="pair_decision_unique_pair"),
            models.CheckConstraint(condition=models.Q(patient_low__lt=models.F("patient_high")),
                                   name="pair_decision_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_low_id} / {self.patient_high_id} : {self.get_decision_display()}"
