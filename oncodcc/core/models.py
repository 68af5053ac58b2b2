"""Counters shared by every process (gunicorn workers, the task worker, the MLLP listener): they live in the
database, like the rest of the state, so that a limit is the same whichever worker answers."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateCounter(models.Model):
    """How many times something happened for one key (e.g. failed authentications of one client from one
    address) in one fixed time window."""

    key = models.CharField(max_length=150)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("compteur de limitation")
        verbose_name_plural = _("compteurs de limitation")
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="core_ratecounter_key_window")]
        indexes = [models.Index(fields=["window_start"], name="core_ratecounter_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%d/%m/%Y %H:%M:%S} : {self.count}"


class RefusalTally(models.Model):
    """Unauthenticated refusals of one kind from one address that no audit event carries yet: they are written
    as one aggregated event (with their count) at most once per window (oncodcc.core.refusals)."""

    kind = models.CharField(max_length=40)
    source = models.CharField(max_length=45)  # the client's address
    action = models.CharField(max_length=40)  # the audit action of the aggregated events
    actor_label = models.CharField(max_length=200)
    pending = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(default=dict)  # reason code -> how many of the pending refusals
    first_pending_at = models.DateTimeField(null=True, blank=True)
    last_pending_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refus non authentifiés en attente d'audit")
        verbose_name_plural = _("refus non authentifiés en attente d'audit")
        constraints = [models.UniqueConstraint(fields=["kind", "source"], name="core_refusaltally_kind_source")]
        indexes = [models.Index(fields=["pending", "last_event_at"], name="core_refusaltally_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.source} : {self.pending}"
