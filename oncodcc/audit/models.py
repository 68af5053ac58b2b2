"""Audit events: append-only, each hashed with its predecessor (HMAC with the audit key, ADR 0006). No foreign keys: the trail must outlive
whatever it talks about (a deleted user or a merged patient keeps its history)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("date"), db_index=True)
    actor_id = models.BigIntegerField(_("utilisateur (id)"), null=True, db_index=True)
    actor_label = models.CharField(_("utilisateur"), max_length=200)
    actor_role = models.CharField(_("rôle"), max_length=30, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    patient_id = models.BigIntegerField(_("patient (id)"), null=True, db_index=True)
    object_type = models.CharField(_("objet"), max_length=60, blank=True)
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    ip_address = models.CharField(_("adresse IP"), max_length=45, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=300, blank=True)
    reason = models.TextField(_("justification"), blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # How `hash` was computed: "sha256" for the events written before the audit key (plain hash),
    # "hmac-sha256:<key id>" since (keyed with DCC_AUDIT_KEY, named by its fingerprint).
    hash_alg = models.CharField(max_length=40, default="sha256")

    class Meta:
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("événements d'audit")
        ordering = ["id"]
        indexes = [models.Index(fields=["patient_id", "-occurred_at"], name="audit_patient_recent")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class BreakGlassAccess(models.Model):
    """'Bris de glace': access to a patient outside one's relations, with a typed reason, for a limited time."""

    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="break_glass_accesses")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="break_glass_accesses")
    reason = models.TextField(_("justification"))
    granted_at = models.DateTimeField(_("ouvert le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"))

    class Meta:
        verbose_name = _("accès en bris de glace")
        verbose_name_plural = _("accès en bris de glace")
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["user", "patient", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user} → patient {self.patient_id} ({self.granted_at:%d/%m/%Y %H:%M})"


class AuditChainHead(models.Model):
    """The last link of the chain, updated in the same transaction as each event: locking this row serialises
    writers, and comparing it with the last event reveals a deleted tail."""

    last_event_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)
    # HMAC of (last_event_id, count, last_hash) with the audit key: a history rewritten with plain hashes
    # (events marked as written before the key) cannot sign its head.
    key_id = models.CharField(max_length=12, blank=True)
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("tête de chaîne d'audit")

    def __str__(self) -> str:
        return f"{self.count} événements, dernier {self.last_event_id}"
