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
    # The DSRC's epidemiologist: searches every fiche of the region, pseudonymised (no name, no INS, birth year).
    EPIDEMIOLOGIST = "epidemiologist", _("Épidémiologiste (DSRC)")


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
