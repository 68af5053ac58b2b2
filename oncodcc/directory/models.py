"""The regional directory: organisations (hospitals, 3C, DSRC) and practitioners."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from oncodcc.terminology import valuesets

finess_validator = RegexValidator(r"^[0-9]{2}[0-9AB][0-9]{6}$", _("Un numéro FINESS a 9 caractères (ex. 750712184)."))
rpps_validator = RegexValidator(r"^[0-9]{11}$", _("Un numéro RPPS a 11 chiffres."))
oid_validator = RegexValidator(r"^[0-2](\.(0|[1-9][0-9]*))+$", _("Un OID s'écrit en chiffres séparés par des points."))

# National directory ids of the network, the RCP manager (3C) and the RCP (DOMAIN.md §3.2).
OID_NATIONAL_DSRC = "1.2.250.1.161.1.20.1.1"
OID_NATIONAL_3C = "1.2.250.1.161.1.20.2.1"
OID_RPPS = "1.2.250.1.71.4.2.1"
OID_FINESS = "1.2.250.1.71.4.2.2"


class Territory(models.Model):
    """A health territory of the region (e.g. Métropole-Flandres): the region's DSRC splits its 3C between
    territories, and the regional statistics (infocentre) are reported per territory."""

    name = models.CharField(_("nom"), max_length=200)
    code = models.CharField(
        _("code"), max_length=20, unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9_-]*$", _("Majuscules, chiffres, tirets (ex. METRO-FLANDRES)."))],
    )
    dsrc = models.ForeignKey(
        "Organisation", verbose_name=_("DSRC de la région"), on_delete=models.PROTECT, related_name="territories",
        limit_choices_to={"kind": "DSRC"},
    )
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.dsrc_id and self.dsrc.kind != Organisation.Kind.DSRC:
            raise ValidationError({"dsrc": _("Un territoire dépend du DSRC de la région.")})


class Organisation(models.Model):
    class Kind(models.TextChoices):
        DSRC = "DSRC", _("Dispositif spécifique régional du cancer (DSRC)")
        CCC = "3C", _("Centre de coordination en cancérologie (3C)")
        LEGAL_ENTITY = "EJ", _("Établissement — entité juridique")
        SITE = "EG", _("Établissement — site géographique")
        PRACTICE = "CAB", _("Cabinet libéral")

    kind = models.CharField(_("type"), max_length=4, choices=Kind.choices)
    name = models.CharField(_("nom"), max_length=200)
    short_name = models.CharField(_("sigle"), max_length=60, blank=True)
    finess = models.CharField(
        _("FINESS"), max_length=9, blank=True, validators=[finess_validator], db_index=True
    )
    # OID of the organisation as an assigning authority (IPP of a hospital).
    oid = models.CharField(_("OID"), max_length=64, blank=True, validators=[oid_validator])
    national_id = models.CharField(
        _("identifiant national"), max_length=64, blank=True, help_text=_("Annuaire national des RCP (DSRC, 3C).")
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("rattachement"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # The territory of a 3C (only 3C organisations belong to a territory).
    territory = models.ForeignKey(
        Territory, verbose_name=_("territoire"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="cccs", help_text=_("Pour un 3C : le territoire de santé auquel il appartient."),
    )
    address = models.TextField(_("adresse"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    mssante_sender = models.EmailField(
        _("adresse MSSanté d'envoi"), blank=True,
        help_text=_("3C : adresse MSSanté (boîte organisationnelle) d'où partent ses documents ; vide : "
                    "DCC_MSSANTE_FROM."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["finess"], condition=~models.Q(finess=""), name="organisation_unique_finess"
            ),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.territory_id and self.kind != self.Kind.CCC:
            raise ValidationError({"territory": _("Seul un 3C appartient à un territoire.")})

    def ancestors(self) -> list["Organisation"]:
        chain, node = [], self.parent
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return chain


class Practitioner(models.Model):
    rpps = models.CharField(
        _("RPPS"), max_length=11, blank=True, validators=[rpps_validator], db_index=True
    )
    title = models.CharField(_("civilité"), max_length=10, blank=True, default="Dr")
    last_name = models.CharField(_("nom"), max_length=100)
    first_name = models.CharField(_("prénom"), max_length=100)
    specialty = models.CharField(
        _("spécialité"), max_length=20, help_text=_("Nomenclature nationale G15_10/SMxx.")
    )
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("structures d'exercice"), related_name="practitioners", blank=True
    )
    email = models.EmailField(_("messagerie (MSSanté)"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("professionnel de santé")
        verbose_name_plural = _("professionnels de santé")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["rpps"], condition=~models.Q(rpps=""), name="practitioner_unique_rpps"),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.first_name} {self.last_name.upper()}".strip()

    @property
    def specialty_label(self) -> str:
        return valuesets.label(valuesets.SPECIALTY, self.specialty)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.specialty and self.specialty not in valuesets.get(valuesets.SPECIALTY):
            raise ValidationError({"specialty": _("Spécialité inconnue de la nomenclature nationale.")})
