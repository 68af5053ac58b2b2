"""The notification outbox (emails written in the transaction of the event, sent by the task worker) and the
secret addresses of the users' calendar feeds."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One email to one address. `key` makes queuing idempotent: the same event never mails the same address twice
    (`fiche:<fiche id>:<address>`, `reminder:<meeting id>:<practitioner id>`)."""

    class Kind(models.TextChoices):
        FICHE_VALIDATED = "fiche_validated", _("fiche RCP validée")
        MEETING_REMINDER = "meeting_reminder", _("rappel de séance")

    class State(models.TextChoices):
        PENDING = "pending", _("à envoyer")
        SENDING = "sending", _("envoi en cours")
        SENT = "sent", _("envoyé")
        ERROR = "error", _("en erreur (nouvel essai prévu)")
        DEAD = "dead", _("abandonné")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("clé d'unicité"), max_length=300, unique=True)
    # Plain references, no foreign keys: a notification never prevents deleting what it was about.
    user_id = models.IntegerField(_("compte destinataire"), null=True, blank=True)
    practitioner_id = models.IntegerField(_("praticien destinataire"), null=True, blank=True)
    meeting_id = models.IntegerField(_("séance"), null=True, blank=True, db_index=True)
    fiche_id = models.IntegerField(_("fiche RCP"), null=True, blank=True)
    to_address = models.EmailField(_("adresse"))
    subject = models.CharField(_("objet"), max_length=250)
    body = models.TextField(_("message"))
    state = models.CharField(_("état"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    next_attempt_at = models.DateTimeField(_("prochain essai"), null=True, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_state_display()})"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    """A user's secret calendar address (`/calendrier/<token>.ics`). Only the token's SHA-256 is kept: the address
    is shown once, when it is created or regenerated; deleting the row revokes it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("abonnement au calendrier")
        verbose_name_plural = _("abonnements au calendrier")

    def __str__(self) -> str:
        return f"Calendrier de {self.user}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)
