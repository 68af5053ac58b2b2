"""RCP boards, their meetings, registrations, attendance and quorum, and the fiches RCP."""

import uuid
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oncodcc.core.locking import LockVersioned
from oncodcc.core.validators import no_control_characters
from oncodcc.terminology import valuesets

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
QUORUM_MIN_SPECIALTIES = 3


class Board(models.Model):
    """An RCP: a tumour board with its members and its schedule."""

    class Frequency(models.TextChoices):
        NONE = "", _("Pas de récurrence (séances ponctuelles)")
        WEEKLY = "weekly", _("Toutes les N semaines")
        MONTHLY = "monthly", _("Mensuelle (Nᵉ jour de la semaine du mois)")

    class Signers(models.TextChoices):
        COORDINATORS = "coordinators", _("le coordonnateur seulement")
        PRESENT_DOCTORS = "present", _("le coordonnateur ou un médecin présent à la séance")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("lundi")
        TUESDAY = 1, _("mardi")
        WEDNESDAY = 2, _("mercredi")
        THURSDAY = 3, _("jeudi")
        FRIDAY = 4, _("vendredi")
        SATURDAY = 5, _("samedi")
        SUNDAY = 6, _("dimanche")

    name = models.CharField(_("nom"), max_length=200)
    nature = models.CharField(
        _("nature"), max_length=10, choices=valuesets.get(valuesets.NATURE_DISCUSSION).choices(),
        default=valuesets.NATURE_ORGAN,
    )
    organ_system = models.CharField(
        _("appareil"), max_length=20, blank=True, choices=valuesets.get(valuesets.ORGAN_SYSTEM).choices()
    )
    organs = models.JSONField(_("organes"), default=list, blank=True, help_text=_("Codes JDV_RCP_Organe_CISIS."))
    care_types = models.JSONField(
        _("traitements / soins (RCP transversale)"), default=list, blank=True,
        help_text=_("Codes JDV_TraitementSoins_FRCP_CISIS."),
    )
    managing_3c = models.ForeignKey(
        "directory.Organisation", verbose_name=_("3C gestionnaire"), on_delete=models.PROTECT,
        related_name="managed_boards", limit_choices_to={"kind": "3C"},
    )
    hospitals = models.ManyToManyField(
        "directory.Organisation", verbose_name=_("établissements"), related_name="boards", blank=True
    )
    national_id = models.CharField(_("identifiant national de la RCP"), max_length=64, blank=True)
    is_recourse = models.BooleanField(_("RCP de recours"), default=False)
    is_paediatric = models.BooleanField(_("RCP pédiatrique"), default=False)
    secretaries = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("secrétaires"), related_name="boards_as_secretary", blank=True
    )
    # Recurrence, in Europe/Paris.
    frequency = models.CharField(_("récurrence"), max_length=10, choices=Frequency.choices, blank=True, default="")
    interval = models.PositiveSmallIntegerField(_("toutes les N semaines"), default=1)
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices, default=Weekday.TUESDAY)
    week_of_month = models.PositiveSmallIntegerField(
        _("semaine du mois (1–4, 5 = dernière)"), null=True, blank=True
    )
    start_time = models.TimeField(_("heure"), default="17:00")
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), default=90)
    recurrence_start = models.DateField(_("première séance le"), null=True, blank=True)
    recurrence_end = models.DateField(_("dernière séance au plus tard le"), null=True, blank=True)
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    video_url = models.URLField(
        _("lien de visioconférence"), blank=True, help_text=_("Lien par défaut de toutes les séances de la RCP."),
    )
    default_form_url = models.CharField(
        _("formulaire d'organe par défaut"), max_length=200, blank=True,
        help_text=_("URL canonique (urn:oncodcc:questionnaire:…) ; vide : le formulaire publié pour ses organes."),
    )
    registration_deadline_hours = models.PositiveSmallIntegerField(
        _("clôture des inscriptions (heures avant la séance)"), default=48
    )
    # Signature rules (rcp.policy.can_sign and services.fiches.validate enforce them).
    signers = models.CharField(
        _("qui valide les fiches"), max_length=20, choices=Signers.choices, default=Signers.PRESENT_DOCTORS,
    )
    double_signature = models.BooleanField(
        _("double signature"), default=False,
        help_text=_("Un second médecin habilité contresigne la fiche avant qu'elle soit validée."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("RCP")
        verbose_name_plural = _("RCP")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_cross_cutting(self) -> bool:
        return self.nature == valuesets.NATURE_CROSS_CUTTING

    @property
    def organ_labels(self) -> list[str]:
        return [valuesets.label(valuesets.ORGAN, code) for code in self.organs]

    @property
    def recurrence_label(self) -> str:
        time = self.start_time.strftime("%H:%M") if hasattr(self.start_time, "strftime") else self.start_time
        day = self.get_weekday_display()
        if self.frequency == self.Frequency.WEEKLY:
            every = _("chaque") if self.interval == 1 else _("un %(day)s sur %(n)s") % {"day": day, "n": self.interval}
            return f"{every} {day if self.interval == 1 else ''} à {time}".replace("  ", " ")
        if self.frequency == self.Frequency.MONTHLY:
            rank = _("dernier") if self.week_of_month == 5 else f"{self.week_of_month}ᵉ"
            return f"{rank} {day} du mois à {time}"
        return str(_("séances ponctuelles"))


class BoardMember(models.Model):
    """A permanent member of an RCP (a doctor); coordinators are members with the flag."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="members")
    practitioner = models.ForeignKey(
        "directory.Practitioner", on_delete=models.PROTECT, related_name="board_memberships"
    )
    is_coordinator = models.BooleanField(_("coordonnateur"), default=False)

    class Meta:
        verbose_name = _("membre permanent")
        verbose_name_plural = _("membres permanents")
        constraints = [models.UniqueConstraint(fields=["board", "practitioner"], name="board_member_unique")]

    def __str__(self) -> str:
        return f"{self.practitioner} ({self.board})"


class Meeting(models.Model):
    """One séance of an RCP."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planifiée")
        OPEN = "open", _("en cours")
        CLOSED = "closed", _("clôturée")
        CANCELLED = "cancelled", _("annulée")

    board = models.ForeignKey(Board, verbose_name=_("RCP"), on_delete=models.PROTECT, related_name="meetings")
    starts_at = models.DateTimeField(_("début"), db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), default=90)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    # Blank: the board's link, so that changing the board's link reaches every meeting not given its own.
    video_url = models.URLField(
        _("lien de visioconférence"), blank=True, help_text=_("Vide : le lien de visioconférence de la RCP."),
    )
    from_recurrence = models.BooleanField(default=False, editable=False)
    location = models.ForeignKey(
        "directory.Organisation", verbose_name=_("établissement organisateur"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The case the chair has on screen in meeting mode: the room's projection (rcp:meeting_projection) follows it.
    projected_registration = models.ForeignKey(
        "Registration", null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("séance de RCP")
        verbose_name_plural = _("séances de RCP")
        ordering = ["starts_at"]
        constraints = [models.UniqueConstraint(fields=["board", "starts_at"], name="meeting_unique_slot")]

    def __str__(self) -> str:
        return f"{self.board} — {timezone.localtime(self.starts_at, PARIS):%d/%m/%Y %H:%M}"

    @property
    def local_start(self):
        return timezone.localtime(self.starts_at, PARIS)

    @property
    def effective_video_url(self) -> str:
        """The meeting's own video-conference link, else its board's."""
        return self.video_url or self.board.video_url

    @property
    def registration_deadline(self):
        return self.starts_at - timedelta(hours=self.board.registration_deadline_hours)

    def registrations_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.PLANNED and now < self.registration_deadline


class Attendance(models.Model):
    """Someone present at a meeting: a practitioner of the directory or a guest typed by name."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    practitioner = models.ForeignKey(
        "directory.Practitioner", null=True, blank=True, on_delete=models.PROTECT, related_name="attendances"
    )
    guest_name = models.CharField(_("invité (nom)"), max_length=200, blank=True, validators=[no_control_characters])
    specialty = models.CharField(_("spécialité"), max_length=20, blank=True)
    is_doctor = models.BooleanField(_("médecin"), default=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("présence")
        verbose_name_plural = _("présences")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "practitioner"], condition=models.Q(practitioner__isnull=False),
                name="attendance_unique_practitioner",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return str(self.practitioner) if self.practitioner_id else self.guest_name

    @property
    def specialty_label(self) -> str:
        return valuesets.label(valuesets.SPECIALTY, self.specialty)


class Registration(LockVersioned):
    """A patient's case put on a meeting's list, with the question asked."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("inscrit")
        IN_PROGRESS = "in_progress", _("en cours")  # a draft fiche exists
        DISCUSSED = "discussed", _("discuté")  # its fiche is validated
        WITHDRAWN = "withdrawn", _("retiré")
        MOVED = "moved", _("reporté")

    # The case is on the meeting's list (the relations it opens hold): not withdrawn, not postponed.
    ACTIVE_STATUSES = (Status.REGISTERED, Status.IN_PROGRESS, Status.DISCUSSED)

    meeting = models.ForeignKey(Meeting, verbose_name=_("séance"), on_delete=models.PROTECT, related_name="registrations")
    patient = models.ForeignKey(
        "patients.Patient", verbose_name=_("patient"), on_delete=models.PROTECT, related_name="registrations"
    )
    number = models.UUIDField(_("numéro d'inscription"), default=uuid.uuid4, unique=True, editable=False)
    position = models.PositiveIntegerField(_("ordre de passage"), default=0)
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.REGISTERED)
    requesting_doctor = models.ForeignKey(
        "directory.Practitioner", verbose_name=_("médecin demandeur"), on_delete=models.PROTECT, related_name="+"
    )
    presenting_doctor = models.ForeignKey(
        "directory.Practitioner", verbose_name=_("médecin présentateur"), on_delete=models.PROTECT, related_name="+"
    )
    question = models.TextField(_("question posée à la RCP"), validators=[no_control_characters])
    case_summary = models.TextField(_("synthèse du cas"), blank=True, validators=[no_control_characters])
    complete_file = models.BooleanField(_("dossier complet"), default=False)
    form_url = models.CharField(
        _("formulaire d'organe"), max_length=200, blank=True,
        help_text=_("Vide : le formulaire par défaut de la RCP."),
    )
    moved_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="moved_from", editable=False
    )
    withdrawal_reason = models.CharField(_("motif du retrait"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["meeting__starts_at", "position", "id"]

    def __str__(self) -> str:
        return f"{self.patient} — {self.meeting}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class Fiche(LockVersioned):
    """The fiche RCP: the case and the board's proposal. Versioned: a validated fiche is never edited;
    a correction creates a new version (same set_id, version_number + 1)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        VALIDATED = "validated", _("validée")
        SUPERSEDED = "superseded", _("remplacée par une version ultérieure")

    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="fiches")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="fiches")
    set_id = models.UUIDField(_("identifiant du document"), default=uuid.uuid4, db_index=True)
    version_number = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(_("statut"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    correction_reason = models.CharField(_("motif de la correction"), max_length=300, blank=True)

    # 1. Type / motif de la RCP
    nature = models.CharField(_("nature de la discussion"), max_length=10, blank=True)
    organ_system = models.CharField(_("appareil"), max_length=20, blank=True)
    organs = models.JSONField(_("organe(s)"), default=list, blank=True)
    care_types = models.JSONField(_("traitement / soins"), default=list, blank=True)
    is_recourse = models.BooleanField(_("RCP de recours"), default=False)
    is_paediatric = models.BooleanField(_("RCP pédiatrique"), default=False)
    motive_diagnostic = models.BooleanField(_("avis diagnostique"), default=False)
    motive_treatment = models.BooleanField(_("proposition de traitement (dont ajustement et surveillance)"), default=False)
    motive_recourse = models.BooleanField(_("recours"), default=False)
    motive_paediatric = models.BooleanField(_("pédiatrie"), default=False)
    case_status = models.CharField(_("statut du cas présenté"), max_length=10, blank=True)
    # 2. Mode de découverte
    screening = models.BooleanField(_("découvert par dépistage"), null=True)
    screening_date = models.DateField(_("date du dépistage"), null=True, blank=True)
    # 5. Statut fonctionnel
    who_performance = models.CharField(_("état général (OMS)"), max_length=10, blank=True)
    # 6. Phase
    phase = models.CharField(_("phase"), max_length=10, blank=True)
    progression = models.BooleanField(_("progression"), null=True)
    progression_type = models.CharField(_("type de progression"), max_length=10, blank=True)
    # 11. Synthèse et question
    case_summary = models.TextField(_("synthèse du cas présenté"), blank=True, validators=[no_control_characters])
    question = models.TextField(_("question posée à la RCP"), blank=True, validators=[no_control_characters])
    # 12. Statut du dossier
    complete_file = models.BooleanField(_("dossier complet"), default=False)
    quorum_status = models.CharField(_("quorum"), max_length=10, blank=True)
    # 13. Plan de soins
    surveillance_only = models.BooleanField(_("surveillance seule"), default=False)
    recourse_referral = models.BooleanField(_("passage en RCP de recours"), default=False)
    recourse_referral_detail = models.CharField(_("RCP de recours proposée"), max_length=300, blank=True)
    proposal_comment = models.TextField(_("commentaire sur la proposition"), blank=True, validators=[no_control_characters])
    # 14. Cadre de la proposition
    guideline_name = models.CharField(_("référentiel utilisé"), max_length=300, blank=True)
    guideline_version = models.CharField(_("version du référentiel"), max_length=50, blank=True)
    guideline_date = models.DateField(_("date du référentiel"), null=True, blank=True)
    trial_proposed = models.BooleanField(_("proposition d'inclusion dans un essai clinique"), null=True)
    trial_detail = models.CharField(_("essai clinique proposé"), max_length=300, blank=True)
    # The trial chosen in the regional registry (its EU CT / NCT id travels in the CDA); trials are closed, never
    # deleted, so a validated fiche keeps pointing at the trial it proposed.
    proposed_trial = models.ForeignKey(
        "trials.Trial", verbose_name=_("essai du registre régional"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="proposing_fiches",
    )
    # 15. Commentaires
    comments = models.TextField(_("commentaires / précisions sur le patient"), blank=True, validators=[no_control_characters])

    # Attendance frozen at validation: [{name, rpps, specialty, counts_for_quorum}]
    participants = models.JSONField(_("participants"), default=list, blank=True, editable=False)
    validated_at = models.DateTimeField(_("validée le"), null=True, blank=True, editable=False)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signée par"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", editable=False,
    )
    signer_name = models.CharField(max_length=200, blank=True, editable=False)
    # Double signature (Board.double_signature): the first signer, until a second one validates the fiche.
    first_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("première signature"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", editable=False,
    )
    first_signed_at = models.DateTimeField(_("première signature le"), null=True, blank=True, editable=False)
    first_signer_name = models.CharField(max_length=200, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Fields a writer edits (used by the optimistic-locking service to build diffs).
    EDITABLE_FIELDS = [
        "nature", "organ_system", "organs", "care_types", "is_recourse", "is_paediatric",
        "motive_diagnostic", "motive_treatment", "motive_recourse", "motive_paediatric", "case_status",
        "screening", "screening_date", "who_performance", "phase", "progression", "progression_type",
        "case_summary", "question", "complete_file", "surveillance_only", "recourse_referral",
        "recourse_referral_detail", "proposal_comment", "guideline_name", "guideline_version", "guideline_date",
        "trial_proposed", "trial_detail", "proposed_trial_id", "comments",
    ]

    class Meta:
        verbose_name = _("fiche RCP")
        verbose_name_plural = _("fiches RCP")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["set_id", "version_number"], name="fiche_unique_version"),
            # One fiche open for editing per registration.
            models.UniqueConstraint(
                fields=["registration"], condition=models.Q(status="draft"), name="fiche_one_draft_per_registration"
            ),
        ]

    def __str__(self) -> str:
        return f"Fiche RCP v{self.version_number} — {self.patient}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def meeting(self) -> Meeting:
        return self.registration.meeting


class Tumour(models.Model):
    fiche = models.ForeignKey(Fiche, on_delete=models.CASCADE, related_name="tumours")
    position = models.PositiveSmallIntegerField(default=1)
    topography = models.CharField(_("topographie (CIM-10)"), max_length=10)
    laterality = models.CharField(_("latéralité"), max_length=20, blank=True)
    morphology = models.CharField(_("morphologie (CIM-O-3)"), max_length=10)
    diagnosis_date = models.DateField(_("date du diagnostic"), null=True, blank=True)
    tnm_t = models.CharField(_("T"), max_length=10, blank=True)
    tnm_n = models.CharField(_("N"), max_length=10, blank=True)
    tnm_m = models.CharField(_("M"), max_length=10, blank=True)
    tnm_edition = models.CharField(_("classification TNM"), max_length=60, blank=True, default="TNM UICC 8e édition")
    other_stage = models.CharField(_("autre stade"), max_length=200, blank=True)
    comment = models.CharField(_("commentaire"), max_length=500, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("tumeur")

    def __str__(self) -> str:
        return f"{self.topography} {self.morphology}"

    @property
    def topography_label(self) -> str:
        return valuesets.label(valuesets.TOPOGRAPHY, self.topography)

    @property
    def morphology_label(self) -> str:
        return valuesets.label(valuesets.MORPHOLOGY, self.morphology)

    @property
    def laterality_label(self) -> str:
        return valuesets.label(valuesets.LATERALITY, self.laterality)

    @property
    def tnm(self) -> str:
        return " ".join(part for part in (self.tnm_t, self.tnm_n, self.tnm_m) if part)


class ProposedTreatment(models.Model):
    """One treatment of the proposal, in order; alternatives are flagged."""

    fiche = models.ForeignKey(Fiche, on_delete=models.CASCADE, related_name="treatments")
    sequence = models.PositiveSmallIntegerField(_("ordre"), default=1)
    code = models.CharField(_("type de traitement"), max_length=20)
    is_alternative = models.BooleanField(_("alternative"), default=False)
    detail = models.CharField(_("précision"), max_length=500, blank=True)

    class Meta:
        ordering = ["is_alternative", "sequence", "id"]
        verbose_name = _("traitement proposé")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return valuesets.label(valuesets.TREATMENT_TYPE, self.code)


class FurtherTest(models.Model):
    """Further tests or expert opinions requested before deciding (ORG-064)."""

    fiche = models.ForeignKey(Fiche, on_delete=models.CASCADE, related_name="further_tests")
    description = models.CharField(_("examen / avis complémentaire"), max_length=300)
    earliest = models.DateField(_("au plus tôt le"), null=True, blank=True)
    latest = models.DateField(_("au plus tard le"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("examen complémentaire")

    def __str__(self) -> str:
        return self.description
