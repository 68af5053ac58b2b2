"""The keyed chain (ADR 0006) against the forger of issue #9: someone who can write the database but does not
hold DCC_AUDIT_KEY rewrites an event and recomputes every hash with raw SQL. `dcc audit verify` must fail."""

import os
import stat
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from oncodcc.audit import chain, keys
from oncodcc.audit import services as audit
from oncodcc.audit.models import AuditChainHead, AuditEvent
from oncodcc.audit.services import Action
from oncodcc.core.checks import development_defaults_in_production
from tests import factories as f

pytestmark = pytest.mark.django_db
OTHER_KEY = "une-autre-cle-d-audit-de-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def _allow_tampering():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")


@pytest.fixture
def events():
    user = f.UserFactory()
    return [audit.record(actor=user, action=Action.PATIENT_VIEW, patient_id=i, details={"n": i}) for i in range(1, 6)]


def verify() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def verify_failure() -> str:
    with pytest.raises(CommandError) as exc:
        verify()
    assert exc.value.returncode == 1
    return str(exc.value)


def forge_with_plain_hashes(target_id: int, reason: str, *, marker: str | None = "sha256") -> None:
    """The attacker: rewrite one row's content, then recompute the whole chain with plain SHA-256 (the code is
    public, the key is not) in raw SQL, head included. `marker`: what they write in hash_alg (None: keep it)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET reason = %s WHERE id = %s", [reason, target_id])
        prev = chain.GENESIS
        for event in AuditEvent.objects.order_by("id"):
            event.prev_hash = prev
            if marker is not None:
                event.hash_alg = marker
            event.hash = chain.legacy_digest(event)
            cursor.execute("UPDATE audit_auditevent SET prev_hash = %s, hash = %s, hash_alg = %s WHERE id = %s",
                           [event.prev_hash, event.hash, event.hash_alg, event.id])
            prev = event.hash
        cursor.execute("UPDATE audit_auditchainhead SET last_hash = %s WHERE id = 1", [prev])


def test_new_events_are_keyed_and_verify(events):
    kid = keys.key_id(chain.current_key())
    assert {e.hash_alg for e in AuditEvent.objects.all()} == {f"hmac-sha256:{kid}"}
    head = AuditChainHead.objects.get()
    assert head.key_id == kid and head.mac
    out = verify()
    assert out.splitlines()[0] == "OK: 5 événements vérifiés"
    assert f"5 signé(s) (clé {kid}), 0 antérieur(s)" in out


def test_the_issue_forger_recomputing_plain_hashes_is_detected(events):
    """Issue #9, hole 7: rewritten content + every hash recomputed unkeyed, events marked 'sha256' (as if written
    before the key) and the head's hash updated: only the head's signature can tell, and it does."""
    forge_with_plain_hashes(events[2].pk, "réécrit par un attaquant")
    message = verify_failure()
    assert "tête de chaîne modifiée" in message
    assert AuditEvent.objects.get(pk=events[2].pk).reason == "réécrit par un attaquant"  # the forgery is there


def test_forger_keeping_the_keyed_marker_is_named_at_the_rewritten_event(events):
    forge_with_plain_hashes(events[2].pk, "réécrit", marker=None)
    message = verify_failure()
    assert f"n° {events[0].pk}" in message and "signature différente" in message


def test_plain_event_after_keyed_ones_is_refused(events):
    """A forger who rewrites only the tail with plain hashes is caught at the first downgraded event."""
    target = AuditEvent.objects.get(pk=events[3].pk)
    target.hash_alg = "sha256"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET hash_alg = 'sha256', hash = %s WHERE id = %s",
                       [chain.legacy_digest(target), target.pk])
    message = verify_failure()
    assert f"n° {target.pk}" in message and "empreinte sans clé après des événements signés" in message


def test_event_signed_with_an_unknown_key_is_reported(events, settings):
    settings.DCC_AUDIT_KEY = OTHER_KEY
    message = verify_failure()
    kid = events[0].hash_alg.removeprefix("hmac-sha256:")
    assert f"n° {events[0].pk}" in message and f"clé inconnue (identifiant {kid})" in message


def test_key_rotation_keeps_old_events_verifiable(events, settings):
    old_key = settings.DCC_AUDIT_KEY
    settings.DCC_AUDIT_KEY, settings.DCC_AUDIT_PREVIOUS_KEYS = OTHER_KEY, [old_key]
    audit.record(actor=None, action=Action.DEMO_DATA)
    out = verify()
    assert out.startswith("OK: 6 événements vérifiés")
    assert keys.key_id(old_key) in out and keys.key_id(OTHER_KEY) in out


def test_events_written_before_the_key_still_verify(events):
    """An existing chain (plain SHA-256 events from before this version) followed by keyed events verifies;
    the upgrade's migration signs the head, here the next event does."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
        cursor.execute("DELETE FROM audit_auditchainhead")
    user = f.UserFactory()
    prev = chain.GENESIS
    for i in range(3):
        legacy = AuditEvent(occurred_at=events[i].occurred_at, actor_id=user.pk, actor_label=str(user),
                            action=Action.PATIENT_VIEW, patient_id=i, prev_hash=prev, hash_alg="sha256")
        legacy.hash = chain.legacy_digest(legacy)
        legacy.save()
        prev = legacy.hash
    AuditChainHead.objects.create(pk=1, last_event_id=legacy.pk, last_hash=prev, count=3)
    audit.record(actor=user, action=Action.PATIENT_VIEW, patient_id=9)
    out = verify()
    assert out.startswith("OK: 4 événements vérifiés") and "1 signé(s)" in out and "3 antérieur(s)" in out


def test_unsigned_head_is_refused(events):
    AuditChainHead.objects.update(mac="", key_id="")
    assert "tête de chaîne non signée" in verify_failure()


def test_deploy_check_requires_the_audit_key(settings):
    settings.DCC_AUDIT_KEY_FROM_ENV = False
    assert "oncodcc.E003" in {e.id for e in development_defaults_in_production(None)}
    settings.DCC_AUDIT_KEY_FROM_ENV, settings.DCC_AUDIT_KEY = True, "court"
    assert "oncodcc.E003" in {e.id for e in development_defaults_in_production(None)}
    settings.DCC_AUDIT_KEY = OTHER_KEY
    assert "oncodcc.E003" not in {e.id for e in development_defaults_in_production(None)}


def test_no_key_no_event(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.DCC_AUDIT_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="DCC_AUDIT_KEY"):
        audit.record(actor=None, action=Action.DEMO_DATA)
    assert not AuditEvent.objects.exists()


def test_generated_key_file_is_private_and_stable(tmp_path):
    path = tmp_path / "var" / "audit-key"
    key = keys.read_or_create(path)
    assert len(key) >= keys.MIN_KEY_LENGTH
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keys.read_or_create(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["audit-key"]  # no temporary file left
