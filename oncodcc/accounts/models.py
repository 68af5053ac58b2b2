"""Users and their roles. A doctor's account is linked to a practitioner of the directory."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DOCTOR = "doctor", _("Médecin")
    SECRETARY = "secretary", _("Secrétaire de RCP")
    COORDINATOR = "coordinator", _("Médecin coordonnateur de RCP")
    ADMIN_3C = "admin_3c", _("Administrateur 3C")
    ADMIN_DSRC = "admin_dsrc", _("Administrateur DSRC")
    DPO = "dpo", _("Délégué à la protection des données (DPO)")
    SYSADMIN = "sysadmin", _("Administrateur système")


CLINICAL_ROLES = {Role.DOCTOR, Role.COORDINATOR}
ADMIN_ROLES = {Role.ADMIN_3C, Role.ADMIN_DSRC, Role.SYSADMIN}


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
