"""HL7 v2 channel: the registered senders and the log of every message received (raw bytes kept first)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import channel


class Hl7Sender(models.Model):
    """A hospital application allowed to send (MSH-3.1 application, MSH-4.1 facility). Its organisation's OID is
    the assigning authority of the IPPs it sends."""

    application = models.CharField(_("application émettrice (MSH-3)"), max_length=100)
    facility = models.CharField(_("établissement émetteur (MSH-4)"), max_length=100)
    organisation = models.ForeignKey(
        "directory.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="hl7_senders"
    )
    active = models.BooleanField(_("actif"), default=True)
    # How a connection proves it speaks for this sender (channel.refusal): over TLS, its client certificate (under
    # MLLP_TLS_CLIENT_CA) by fingerprint and/or subject; in any mode, its source address in these networks.
    cert_fingerprint = models.CharField(
        _("empreinte SHA-256 du certificat client"), max_length=120, blank=True,
        help_text=_("Empreinte du certificat de l'émetteur (openssl x509 -noout -fingerprint -sha256), "
                    "deux-points permis."))
    cert_subject = models.CharField(
        _("sujet attendu du certificat client"), max_length=300, blank=True,
        help_text=_("Attributs exigés du sujet, p. ex. « CN=dpi.chu-exemple.fr,O=CHU Exemple » (RFC 4514), "
                    "certificat délivré par l'autorité MLLP_TLS_CLIENT_CA."))
    allowed_networks = models.TextField(
        _("réseaux autorisés"), blank=True,
        help_text=_("Adresses ou réseaux sources permis (CIDR, un par ligne, p. ex. 10.2.0.0/16) ; vide : "
                    "toute adresse."))
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("émetteur HL7")
        verbose_name_plural = _("émetteurs HL7")
        ordering = ["application", "facility"]
        constraints = [
            models.UniqueConstraint(fields=["application", "facility"], name="hl7sender_unique_app_facility"),
        ]

    def __str__(self) -> str:
        return f"{self.application}/{self.facility}"

    def clean(self) -> None:
        if self.organisation_id and not self.organisation.oid:
            raise ValidationError(
                {"organisation": _("L'organisation doit avoir un OID (autorité d'affectation de ses IPP).")}
            )
        errors = {}
        try:
            self.cert_fingerprint = channel.normalize_fingerprint(self.cert_fingerprint)
        except ValueError as exc:
            errors["cert_fingerprint"] = str(exc)
        try:
            channel.parse_subject(self.cert_subject)
            self.cert_subject = (self.cert_subject or "").strip()
        except ValueError as exc:
            errors["cert_subject"] = str(exc)
        try:
            self.allowed_networks = channel.format_networks(channel.parse_networks(self.allowed_networks))
        except ValueError as exc:
            errors["allowed_networks"] = str(exc)
        if errors:
            raise ValidationError(errors)

    def authentication_label(self) -> str:
        """How this sender authenticates, in French (listings)."""
        parts = []
        if self.cert_fingerprint:
            parts.append(f"empreinte SHA-256 {self.cert_fingerprint}")
        if self.cert_subject:
            parts.append(f"sujet {self.cert_subject}")
        networks = channel.parse_networks(self.allowed_networks)
        if networks:
            parts.append("réseaux " + ", ".join(str(n) for n in networks))
        return " ; ".join(parts) or "aucune (MLLP en clair, toute adresse)"

    @property
    def actor_label(self) -> str:
        return f"HL7 {self.application}/{self.facility}"


class Hl7Message(models.Model):
    """One message as received. `raw` is written in its own transaction before any processing, so that a message
    is never lost even when its processing fails; the outcome fields are filled once it has been answered."""

    class State(models.TextChoices):
        RECEIVED = "received", _("reçu (en cours)")
        ACCEPTED = "accepted", _("accepté")
        ERROR = "error", _("erreur")
        REJECTED = "rejected", _("rejeté")
        DUPLICATE = "duplicate", _("doublon")

    received_at = models.DateTimeField(_("reçu le"), db_index=True)
    peer = models.CharField(_("adresse de l'émetteur"), max_length=100, blank=True)
    sender = models.ForeignKey(
        Hl7Sender, verbose_name=_("émetteur"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="messages",
    )
    sending_application = models.CharField(_("application (MSH-3)"), max_length=100, blank=True)
    sending_facility = models.CharField(_("établissement (MSH-4)"), max_length=100, blank=True)
    control_id = models.CharField(_("identifiant du message (MSH-10)"), max_length=100, blank=True, db_index=True)
    message_type = models.CharField(_("type (MSH-9)"), max_length=30, blank=True)
    encoding = models.CharField(_("encodage"), max_length=40, blank=True)
    raw = models.BinaryField(_("message brut"))
    size = models.PositiveIntegerField(_("taille (octets)"), default=0)
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.RECEIVED, db_index=True)
    ack_code = models.CharField(_("code d'acquittement"), max_length=2, blank=True)
    ack = models.BinaryField(_("acquittement"), blank=True, default=b"")
    error = models.TextField(_("motif"), blank=True)
    notes = models.CharField(_("remarques"), max_length=200, blank=True)
    # Plain ids, not foreign keys: the log outlives merges and deletions (see patients.merge.MERGE_RELATIONS).
    patient_id = models.BigIntegerField(_("patient"), null=True, blank=True, db_index=True)
    document_id = models.BigIntegerField(_("document"), null=True, blank=True)
    processed_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    replay_of = models.ForeignKey(
        "self", verbose_name=_("rejeu de"), null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )

    class Meta:
        verbose_name = _("message HL7")
        verbose_name_plural = _("messages HL7")
        ordering = ["-received_at", "-pk"]
        constraints = [
            # Dedupe, race-safe: at most one accepted message per sender and control id. The row turns "accepted"
            # inside the processing transaction, so the loser of a race rolls back and answers the winner's ACK.
            # Replays (decided by an administrator) are outside the constraint.
            models.UniqueConstraint(
                fields=["sending_application", "sending_facility", "control_id"],
                condition=models.Q(state="accepted", replay_of__isnull=True),
                name="hl7message_unique_accepted_control_id",
            ),
        ]
        indexes = [models.Index(fields=["state", "received_at"], name="hl7message_state_received")]

    def __str__(self) -> str:
        return f"{self.message_type or '?'} {self.control_id or '?'} ({self.get_state_display()})"

    def raw_text(self) -> str:
        """The raw message decoded for reading (segments on lines)."""
        data = bytes(self.raw or b"")
        try:
            text = data.decode(self.encoding or "utf-8")
        except (LookupError, UnicodeDecodeError):
            text = data.decode("iso-8859-1")
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def ack_text(self) -> str:
        data = bytes(self.ack or b"")
        try:
            return data.decode(self.encoding or "utf-8").replace("\r", "\n")
        except (LookupError, UnicodeDecodeError):
            return data.decode("iso-8859-1").replace("\r", "\n")
