"""The audit trail is append-only and hash-chained: `dcc audit verify` proves it or names the first bad event.
The keyed chain and the checkpoints against a forger: test_keyed_chain.py, test_checkpoints.py."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from oncodcc.audit import chain
from oncodcc.audit import services as audit
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action, verify_chain
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _allow_tampering():
    """These tests play someone with database-owner rights rewriting history: on PostgreSQL they first disable
    the append-only trigger (inside the test's transaction, rolled back after it)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")


@pytest.fixture
def events():
    user = f.UserFactory()
    return [audit.record(actor=user, action=Action.PATIENT_VIEW, patient_id=i, details={"n": i}) for i in range(1, 6)]


def verify() -> str:
    """The command's verdict line (details follow on the next lines)."""
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue().splitlines()[0]


def test_valid_chain(events):
    assert verify().strip() == f"OK: {len(events)} événements vérifiés"
    result = verify_chain(batch_size=2)  # across batches
    assert result.ok and result.checked == len(events)


def test_empty_chain_is_valid():
    assert verify().strip() == "OK: 0 événements vérifiés"


def test_modified_event_is_named(events):
    target = events[2]
    AuditEvent.objects.filter(pk=target.pk).update(reason="réécrit après coup")  # bypasses save()
    with pytest.raises(CommandError) as exc:
        verify()
    assert exc.value.returncode == 1
    assert f"n° {target.pk}" in str(exc.value) and "contenu modifié" in str(exc.value)


def test_rehashed_modified_event_breaks_the_next_link(events):
    """Even a forger who recomputes the modified event's hash (here with the key) is caught by the next link."""
    target = events[1]
    target.actor_label = "quelqu'un d'autre"
    new_hash = chain.keyed_digest(target, chain.current_key())  # even with the key
    AuditEvent.objects.filter(pk=target.pk).update(actor_label=target.actor_label, hash=new_hash)
    with pytest.raises(CommandError) as exc:
        verify()
    assert f"n° {events[2].pk}" in str(exc.value)


def test_deleted_middle_event(events):
    AuditEvent.objects.filter(pk=events[2].pk).delete()
    with pytest.raises(CommandError) as exc:
        verify()
    assert exc.value.returncode == 1
    assert f"n° {events[3].pk}" in str(exc.value) and "lien rompu" in str(exc.value)


def test_deleted_last_event(events):
    AuditEvent.objects.filter(pk=events[-1].pk).delete()
    with pytest.raises(CommandError) as exc:
        verify()
    assert f"n° {events[-1].pk}" in str(exc.value) and "fin de chaîne" in str(exc.value)


def test_events_are_append_only(events):
    event = AuditEvent.objects.get(pk=events[0].pk)
    event.reason = "modifié"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert verify().startswith("OK")


def test_chain_continues_after_verification(events):
    verify()
    audit.record(actor=None, action=Action.DEMO_DATA)
    assert verify().strip() == f"OK: {len(events) + 1} événements vérifiés"
