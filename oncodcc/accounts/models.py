"""Users and their roles. A doctor's account is linked to a practitioner of the directory."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oncodcc.core.validators import no_control_characters
from oncodcc.terminology import valuesets


class Role(models.TextChoices):
    DOCTOR = "doctor", _("Médecin")
    SECRETARY = "secretary", _("Secrétaire de RCP")
    COORDINATOR = "coordinator", _("Médecin coordonnateur de RCP")
    ADMIN_3C = "admin_3c", _("Administrateur 3C")
    ADMIN_DSRC = "admin_dsrc", _("Administrateur DSRC")
    DPO = "dpo", _("Délégué à la protection des données (DPO)")
    SYSADMIN = "sysadmin", _("Administrateur système")
    # The DSRC's epidemiologist: searches every fiche of the region, pseudonymised (no name, no INS, birth year).
    EPIDEMIOLOGIST = "epidemiologist", _("Épidémiologiste (DSRC)")


CLINICAL_ROLES = {Role.DOCTOR, Role.COORDINATOR}
ADMIN_ROLES = {Role.ADMIN_3C, Role.ADMIN_DSRC, Role.SYSADMIN}
# The roles a professional may ask for on the public request page: never an administrator's.
REQUESTABLE_ROLES = (Role.DOCTOR, Role.SECRETARY, Role.COORDINATOR)


class User(AbstractUser):
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.DOCTOR)
    practitioner = models.OneToOneField(
        "directory.Practitioner",
        verbose_name=_("professionnel de santé"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="user",
    )
    # The 3C or the DSRC that a 3C/DSRC administrator (or a secretary) works for: the scope of their rights.
    organisation = models.ForeignKey(
        "directory.Organisation",
        verbose_name=_("structure de rattachement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    # The version of the charter (Charter) the user accepted with their account request; null for accounts made
    # by an administrator or a command.
    charter_version = models.PositiveIntegerField(_("version de la charte acceptée"), null=True, blank=True)

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        if self.practitioner_id:
            return str(self.practitioner)
        full = self.get_full_name()
        return full or self.username

    @property
    def is_clinician(self) -> bool:
        return self.role in CLINICAL_ROLES and self.practitioner_id is not None

    @property
    def is_administrator(self) -> bool:
        return self.role in ADMIN_ROLES or self.is_superuser


class SecondFactorThrottle(models.Model):
    """Wrong second-factor codes of one account, for its lockout (oncodcc.accounts.otp_lockout). A row exists once
    the account has typed a wrong code; a reset of the second factor deletes it."""

    user = models.OneToOneField(User, primary_key=True, on_delete=models.CASCADE, related_name="+")
    # Wrong codes since the last right one or the last lockout.
    failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Lockouts on `lockout_day` (UTC): the cool-off doubles with each one.
    lockouts = models.PositiveSmallIntegerField(default=0)
    lockout_day = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("blocage du second facteur")
        verbose_name_plural = _("blocages du second facteur")

    def __str__(self) -> str:
        return f"{self.user_id} : {self.failures} échec(s)"


class Charter(models.Model):
    """The DCC's charter of use, a versioned text the DSRC edits. A published version never changes: a change is a
    new version, and each request (then account) keeps the version it accepted."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    text = models.TextField(_("texte"), validators=[no_control_characters])
    published_at = models.DateTimeField(
        _("publiée le"), null=True, blank=True,
        help_text=_("Vide : brouillon. La version publiée la plus récente est celle que les demandeurs acceptent."))
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("charte d'utilisation")
        verbose_name_plural = _("chartes d'utilisation")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"Charte v{self.version}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and self.published_at <= timezone.now()

    @classmethod
    def current(cls) -> "Charter | None":
        return cls.objects.filter(published_at__lte=timezone.now()).order_by("-version").first()


class AccountRequest(models.Model):
    """A professional's request for an account, made on the public page; decided by a 3C administrator of one of
    the organisations named, or by the DSRC."""

    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        ACCEPTED = "accepted", _("Acceptée")
        REFUSED = "refused", _("Refusée")

    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    rpps = models.CharField(_("RPPS"), max_length=11, blank=True, db_index=True)
    last_name = models.CharField(_("nom"), max_length=100, validators=[no_control_characters])
    first_name = models.CharField(_("prénom"), max_length=100, validators=[no_control_characters])
    specialty = models.CharField(_("spécialité"), max_length=20, blank=True)
    email = models.EmailField(_("adresse électronique"))
    phone = models.CharField(_("téléphone"), max_length=30, blank=True, validators=[no_control_characters])
    role = models.CharField(_("rôle demandé"), max_length=20,
                            choices=[(role.value, role.label) for role in REQUESTABLE_ROLES])
    organisations = models.ManyToManyField(
        "directory.Organisation", verbose_name=_("structures d'exercice"), related_name="account_requests")
    boards = models.ManyToManyField("rcp.Board", verbose_name=_("RCP"), related_name="account_requests", blank=True)
    charter = models.ForeignKey(Charter, verbose_name=_("charte acceptée"), on_delete=models.PROTECT,
                                related_name="requests")
    # Name and RPPS attested by Pro Santé Connect (the requester came from a PSC sign-in without an account).
    psc_attested = models.BooleanField(_("identité attestée par Pro Santé Connect"), default=False)
    created_at = models.DateTimeField(_("reçue le"), auto_now_add=True, db_index=True)
    decided_by = models.ForeignKey(User, verbose_name=_("décidée par"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    refusal_reason = models.TextField(_("motif du refus"), blank=True, validators=[no_control_characters])
    user = models.ForeignKey(User, verbose_name=_("compte créé"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="account_requests")

    class Meta:
        verbose_name = _("demande de compte")
        verbose_name_plural = _("demandes de compte")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Demande n° {self.pk}"

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING

    @property
    def specialty_label(self) -> str:
        return valuesets.label(valuesets.SPECIALTY, self.specialty) if self.specialty else ""
class InactivityWarning(models.Model):
    """The warning email sent before an unused account is deactivated (oncodcc.accounts.inactivity). One row per
    account: `last_activity` is the sign-in (or account creation) the warning was about, so a new period of
    inactivity — after the user signed in again — gets its own warning, and the same period never two."""

    user = models.OneToOneField(User, primary_key=True, on_delete=models.CASCADE, related_name="+")
    last_activity = models.DateTimeField(_("dernière activité prise en compte"))
    sent_at = models.DateTimeField(_("avertissement envoyé le"))

    class Meta:
        verbose_name = _("avertissement d'inactivité")
        verbose_name_plural = _("avertissements d'inactivité")

    def __str__(self) -> str:
        return f"{self.user_id} : {self.sent_at:%d/%m/%Y}"


class AccessReview(models.Model):
    """The yearly review of the accounts of one 3C (or of the DSRC's own accounts): who confirmed or deactivated
    which account, and when (oncodcc.accounts.review)."""

    year = models.PositiveSmallIntegerField(_("année"))
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("structure revue"), on_delete=models.PROTECT,
        related_name="access_reviews")
    started_by = models.ForeignKey(User, verbose_name=_("ouverte par"), null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    started_at = models.DateTimeField(_("ouverte le"), auto_now_add=True)

    class Meta:
        verbose_name = _("revue des accès")
        verbose_name_plural = _("revues des accès")
        constraints = [models.UniqueConstraint(fields=["year", "organisation"], name="access_review_unique_year")]

    def __str__(self) -> str:
        return f"{self.organisation} {self.year}"


class AccessReviewDecision(models.Model):
    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", _("confirmé")
        DEACTIVATED = "deactivated", _("désactivé")

    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="decisions")
    user = models.ForeignKey(User, verbose_name=_("compte"), on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(_("décision"), max_length=12, choices=Decision.choices)
    decided_by = models.ForeignKey(User, verbose_name=_("décidé par"), null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(_("décidé le"))

    class Meta:
        verbose_name = _("décision de revue")
        verbose_name_plural = _("décisions de revue")
        constraints = [models.UniqueConstraint(fields=["review", "user"], name="access_review_decision_unique")]

    def __str__(self) -> str:
        return f"{self.review} : {self.user_id} {self.decision}"
