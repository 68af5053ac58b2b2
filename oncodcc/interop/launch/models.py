"""Contextual launch ("appel contextuel"): the hospitals' signing keys and the token ids already used."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import keys


class LaunchKey(models.Model):
    """A public key with which a hospital signs its launch tokens. One issuer (`iss`) belongs to one hospital;
    a hospital may hold several keys at once (rotation): the token's `kid` picks one, or, without `kid`, every
    active key of the issuer with the token's algorithm is tried."""

    class Algorithm(models.TextChoices):
        RS256 = keys.RS256, "RS256 (RSA ≥ 2048 bits, SHA-256)"
        ES256 = keys.ES256, "ES256 (ECDSA P-256, SHA-256)"

    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("établissement"), on_delete=models.PROTECT,
        related_name="launch_keys",
        help_text=_("L'établissement dont le logiciel signe les jetons ; son OID est l'autorité de ses IPP."),
    )
    issuer = models.CharField(
        _("émetteur (iss)"), max_length=200, db_index=True,
        help_text=_("Valeur exacte de la revendication « iss » des jetons, p. ex. le FINESS ou l'OID de "
                    "l'établissement."),
    )
    algorithm = models.CharField(_("algorithme"), max_length=5, choices=Algorithm.choices, default=keys.RS256)
    kid = models.CharField(
        _("identifiant de clé (kid)"), max_length=100, blank=True,
        help_text=_("Facultatif : l'en-tête « kid » des jetons signés avec cette clé (rotation des clés)."),
    )
    public_key = models.TextField(
        _("clé publique (PEM)"), help_text=_("« -----BEGIN PUBLIC KEY----- … » ou un certificat X.509 PEM.")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("enregistrée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("clé d'appel contextuel")
        verbose_name_plural = _("clés d'appel contextuel")
        ordering = ["issuer", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "kid"], condition=~models.Q(kid=""),
                                    name="launchkey_unique_issuer_kid",
                                    violation_error_message=_("Cet émetteur a déjà une clé avec ce kid.")),
        ]

    def __str__(self) -> str:
        return f"{self.issuer}{f' / {self.kid}' if self.kid else ''} ({self.algorithm})"

    def save(self, *args, **kwargs):
        # Whatever the path (admin, command, shell), only a key that parses and fits its algorithm is stored.
        self.public_key = keys.normalise(self.public_key or "", self.algorithm)
        super().save(*args, **kwargs)

    @property
    def fingerprint(self) -> str:
        return keys.fingerprint(self.public_key)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.issuer = (self.issuer or "").strip()
        self.kid = (self.kid or "").strip()
        try:
            self.public_key = keys.normalise(self.public_key or "", self.algorithm)
        except ValidationError as exc:
            errors["public_key"] = " ".join(exc.messages)
        if not self.issuer:
            errors["issuer"] = "L'émetteur (iss) est obligatoire."
        if self.organisation_id:
            if not self.organisation.oid:
                # The IPP carried by the tokens is attached under the hospital's OID.
                errors["organisation"] = "Cet établissement n'a pas d'OID : renseignez-le d'abord dans l'annuaire."
            other = (LaunchKey.objects.filter(issuer=self.issuer).exclude(organisation_id=self.organisation_id)
                     .select_related("organisation").first())
            if other is not None:
                errors["issuer"] = f"Cet émetteur appartient déjà à un autre établissement ({other.organisation})."
        if errors:
            raise ValidationError(errors)


class UsedLaunchToken(models.Model):
    """A token id (`jti`) already used by an issuer: inserted in the launch transaction, so a second use of the
    same token violates the unique constraint. Rows are kept until the token would have expired anyway."""

    issuer = models.CharField(max_length=200)
    jti = models.CharField(max_length=200)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("jeton d'appel contextuel utilisé")
        verbose_name_plural = _("jetons d'appel contextuel utilisés")
        constraints = [models.UniqueConstraint(fields=["issuer", "jti"], name="usedlaunchtoken_unique_jti")]

    def __str__(self) -> str:
        return f"{self.issuer} {self.jti}"
