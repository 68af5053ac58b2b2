"""The diffusion outbox: the hospitals' DPI receivers, one delivery per (document version, recipient, action), and
the log of every attempt with its raw payloads (docs/diffusion.md, ADR 0008)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Receiver(models.Model):
    """A hospital's record (DPI) that receives our documents in HL7 v2 over MLLP (its interface engine)."""

    class MessageType(models.TextChoices):
        ORU = "oru", "ORU^R01"
        MDM = "mdm", "MDM^T02/T10/T04"

    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("établissement"), on_delete=models.PROTECT,
        related_name="dpi_receivers")
    application = models.CharField(_("application destinataire (MSH-5)"), max_length=100, default="DPI")
    facility = models.CharField(_("établissement destinataire (MSH-6)"), max_length=100, blank=True,
                                help_text=_("Vide : le FINESS de l'établissement."))
    host = models.CharField(_("hôte"), max_length=255)
    port = models.PositiveIntegerField(_("port"))
    message_type = models.CharField(_("message"), max_length=3, choices=MessageType.choices,
                                    default=MessageType.ORU)
    tls = models.BooleanField(_("TLS"), default=False)
    tls_ca = models.CharField(_("autorité de certification du serveur (fichier PEM)"), max_length=500, blank=True)
    tls_cert = models.CharField(_("certificat client (fichier PEM)"), max_length=500, blank=True)
    tls_key = models.CharField(_("clé du certificat client (fichier PEM)"), max_length=500, blank=True)
    active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("récepteur DPI")
        verbose_name_plural = _("récepteurs DPI")
        ordering = ["organisation__name"]
        constraints = [models.UniqueConstraint(fields=["organisation"], name="receiver_unique_organisation")]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.host}:{self.port})"

    @property
    def receiving_facility(self) -> str:
        return self.facility or self.organisation.finess or self.organisation.name

    def clean(self) -> None:
        errors = {}
        if self.organisation_id and not self.organisation.oid:
            errors["organisation"] = _("L'établissement doit avoir un OID (autorité d'affectation de ses IPP).")
        if self.tls and bool(self.tls_cert) != bool(self.tls_key):
            errors["tls_key"] = _("Le certificat client et sa clé vont ensemble.")
        if errors:
            raise ValidationError(errors)


class Delivery(models.Model):
    """One document version to one recipient. Created in the registration's transaction; sent by the worker."""

    class Channel(models.TextChoices):
        DPI = "dpi", _("DPI (HL7 v2)")
        MSSANTE = "mssante", _("MSSanté")
        DMP = "dmp", _("DMP")

    class Action(models.TextChoices):
        NEW = "new", _("nouveau document")
        REPLACE = "replace", _("remplacement")
        DELETE = "delete", _("suppression")

    class State(models.TextChoices):
        PENDING = "pending", _("en attente")
        SENDING = "sending", _("en cours")
        DELIVERED = "delivered", _("délivré")
        ERROR = "error", _("erreur")
        DEAD = "dead", _("abandonné")

    document = models.ForeignKey("documents.Document", verbose_name=_("document"), on_delete=models.PROTECT,
                                 related_name="deliveries")
    set_id = models.UUIDField(_("lot du document"), db_index=True)
    channel = models.CharField(_("canal"), max_length=8, choices=Channel.choices)
    # "dpi:<receiver id>", "mssante:<address>", "dmp": deliveries to the same key are kept in order per set.
    recipient_key = models.CharField(_("destinataire (clé)"), max_length=300)
    recipient_label = models.CharField(_("destinataire"), max_length=300)
    receiver = models.ForeignKey(Receiver, verbose_name=_("récepteur DPI"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="deliveries")
    mssante_address = models.EmailField(_("adresse MSSanté"), blank=True)
    mssante_sender = models.EmailField(_("adresse MSSanté d'envoi"), blank=True)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    sequence = models.PositiveIntegerField(_("rang dans le lot"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    next_attempt_at = models.DateTimeField(_("prochain essai"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("pris par le processus d'envoi le"), null=True, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("délivré le"), null=True, blank=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        ordering = ["created_at", "pk"]
        constraints = [
            # Idempotent creation: the same version, to the same recipient, for the same action, once.
            models.UniqueConstraint(fields=["document", "recipient_key", "action"], name="delivery_unique"),
            models.UniqueConstraint(fields=["recipient_key", "set_id", "sequence"], name="delivery_unique_sequence"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient_label} ({self.get_state_display()})"

    @property
    def retry_scheduled(self) -> bool:
        return self.state == self.State.ERROR and self.next_attempt_at is not None


class DeliveryAttempt(models.Model):
    """One try of a delivery, with the bytes sent and received (readable by DSRC/sysadmin, audited)."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", _("délivré")
        RETRY = "retry", _("échec temporaire")
        ERROR = "error", _("refusé")
        INTERRUPTED = "interrupted", _("interrompu")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts_log")
    started_at = models.DateTimeField(_("début"))
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)
    outcome = models.CharField(_("résultat"), max_length=12, choices=Outcome.choices)
    detail = models.CharField(_("détail"), max_length=500, blank=True)
    request = models.BinaryField(_("message envoyé"), blank=True, default=b"")
    response = models.BinaryField(_("réponse reçue"), blank=True, default=b"")

    class Meta:
        verbose_name = _("essai d'envoi")
        verbose_name_plural = _("essais d'envoi")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.started_at:%Y-%m-%d %H:%M:%S} {self.get_outcome_display()}"

    @staticmethod
    def _text(data) -> str:
        data = bytes(data or b"")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("iso-8859-1")
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def request_text(self) -> str:
        return self._text(self.request)

    def response_text(self) -> str:
        return self._text(self.response)
