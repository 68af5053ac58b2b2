"""The keyed chain (ADR 0006): each event names how its hash was computed (existing events: plain "sha256"),
and the chain head carries an HMAC with the audit key. An existing head is signed here."""

from django.db import migrations, models


def sign_existing_head(apps, schema_editor):
    """From here on, a history rewritten with plain hashes cannot produce a head that verifies."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from oncodcc.audit import keys

    head = apps.get_model("audit", "AuditChainHead").objects.filter(pk=1, count__gt=0).first()
    if head is None:
        return
    key = settings.DCC_AUDIT_KEY
    if not key:
        raise ImproperlyConfigured("DCC_AUDIT_KEY est requis pour signer la piste d'audit existante.")
    head.key_id = keys.key_id(key)
    head.mac = keys.head_mac(key, head.last_event_id, head.count, head.last_hash)
    head.save(update_fields=["key_id", "mac"])


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only_trigger'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditchainhead',
            name='key_id',
            field=models.CharField(blank=True, max_length=12),
        ),
        migrations.AddField(
            model_name='auditchainhead',
            name='mac',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='hash_alg',
            field=models.CharField(default='sha256', max_length=40),
        ),
        migrations.RunPython(sign_existing_head, migrations.RunPython.noop),
    ]
