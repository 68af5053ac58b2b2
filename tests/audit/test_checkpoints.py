"""Signed checkpoints outside the database (ADR 0006): `dcc audit checkpoint` appends the signed head to
DCC_AUDIT_CHECKPOINT_FILE; `dcc audit verify` detects a truncation or a rewrite made even with the key."""

import json
import os
import stat
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from oncodcc.audit import chain
from oncodcc.audit import services as audit
from oncodcc.audit.models import AuditChainHead, AuditEvent
from oncodcc.audit.services import Action

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _allow_tampering():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")


@pytest.fixture
def events():
    return [audit.record(actor=None, action=Action.DEMO_DATA, details={"n": i}) for i in range(6)]


def run(*args) -> str:
    out = StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


def failure(*args) -> str:
    with pytest.raises(CommandError) as exc:
        run(*args)
    assert exc.value.returncode == 1
    return str(exc.value)


def lines(settings) -> list[dict]:
    return [json.loads(line) for line in settings.DCC_AUDIT_CHECKPOINT_FILE.read_text().splitlines()]


def test_checkpoint_appends_a_signed_head(events, settings):
    assert "Point de contrôle écrit : 6 événement(s)" in run("checkpoint")
    audit.record(actor=None, action=Action.DEMO_DATA)
    run("checkpoint")

    written = lines(settings)
    assert [(c["count"], c["last_event_id"]) for c in written] == [(6, events[-1].pk), (7, events[-1].pk + 1)]
    assert written[0]["last_hash"] == events[-1].hash and written[0]["mac"]
    assert stat.S_IMODE(os.stat(settings.DCC_AUDIT_CHECKPOINT_FILE).st_mode) == 0o600
    out = run("verify", "--full")
    assert out.startswith("OK: 7 événements vérifiés") and "2 point(s) de contrôle vérifié(s)" in out
    out = run("verify")  # incremental: from the last checkpoint, which attests all 7
    assert out.startswith("OK: 0 événement vérifié depuis le point de contrôle du ")
    assert "(7 dans la chaîne ; les 7 attestés par ce point comptés" in out


def resign_head_with_the_key(last: AuditEvent, count: int) -> None:
    """An attacker who holds the key (or replays an old head row) makes the truncated chain verify by itself."""
    AuditChainHead.objects.filter(pk=1).update(last_event_id=last.pk, last_hash=last.hash, count=count,
                                               **chain.sign_head(last.pk, count, last.hash))


def test_truncation_is_detected_against_a_checkpoint(events):
    run("checkpoint")
    AuditEvent.objects.filter(pk__in=[events[-1].pk, events[-2].pk]).delete()
    resign_head_with_the_key(events[-3], 4)
    assert run("verify", "--checkpoint-file", os.devnull).startswith("OK: 4")  # without the checkpoints: unseen

    message = failure("verify")
    assert "chaîne tronquée" in message and f"6 événement(s) jusqu'au n° {events[-1].pk}" in message


def test_history_rewritten_with_the_key_is_detected_against_a_checkpoint(events):
    run("checkpoint")
    prev = chain.GENESIS
    for event in AuditEvent.objects.order_by("id"):
        if event.pk == events[1].pk:
            event.reason = "réécrit avec la clé"
        event.prev_hash = prev
        chain.seal(event)
        AuditEvent.objects.filter(pk=event.pk).update(reason=event.reason, prev_hash=prev, hash=event.hash)
        prev = event.hash
    resign_head_with_the_key(AuditEvent.objects.order_by("id").last(), 6)
    assert run("verify", "--checkpoint-file", os.devnull).startswith("OK")

    message = failure("verify")
    assert f"n° {events[-1].pk}" in message and "historique réécrit" in message


def test_deleted_checkpointed_event_is_detected(events):
    run("checkpoint")
    audit.record(actor=None, action=Action.DEMO_DATA)
    AuditEvent.objects.filter(pk=events[-1].pk).delete()
    assert "n° " in failure("verify")


def test_forged_checkpoint_line_is_refused(events, settings):
    run("checkpoint")
    forged = lines(settings)[0] | {"count": 2}
    settings.DCC_AUDIT_CHECKPOINT_FILE.write_text(json.dumps(forged) + "\n")
    assert "signature invalide" in failure("verify")
    settings.DCC_AUDIT_CHECKPOINT_FILE.write_text("pas du JSON\n")
    assert "illisible" in failure("verify")


def test_no_checkpoint_over_a_broken_chain(events, settings):
    AuditEvent.objects.filter(pk=events[2].pk).update(reason="réécrit")
    assert "contenu modifié" in failure("checkpoint")
    assert not settings.DCC_AUDIT_CHECKPOINT_FILE.exists()


def test_checkpoint_of_an_empty_chain(settings):
    run("checkpoint")
    assert lines(settings)[0]["count"] == 0
    audit.record(actor=None, action=Action.DEMO_DATA)
    assert run("verify").startswith("OK: 1 événements vérifiés")


def rewrite_with_the_key(event: AuditEvent) -> None:
    """An attacker holding the key rewrites one event and re-seals it and every later one (raw SQL), head included."""
    prev = AuditEvent.objects.filter(pk__lt=event.pk).order_by("-id").values_list("hash", flat=True).first()
    for later in AuditEvent.objects.filter(pk__gte=event.pk).order_by("id"):
        if later.pk == event.pk:
            later.reason = "réécrit avec la clé"
        later.prev_hash = prev or chain.GENESIS
        chain.seal(later)
        AuditEvent.objects.filter(pk=later.pk).update(reason=later.reason, prev_hash=later.prev_hash, hash=later.hash)
        prev = later.hash
    last = AuditEvent.objects.order_by("id").last()
    resign_head_with_the_key(last, AuditEvent.objects.count())


def test_incremental_verify_reads_only_the_events_after_the_last_checkpoint(events):
    run("checkpoint")
    later = [audit.record(actor=None, action=Action.DEMO_DATA, details={"later": i}) for i in range(3)]
    out = run("verify")
    assert out.startswith("OK: 3 événements vérifiés depuis le point de contrôle du ")
    assert "(9 dans la chaîne" in out
    assert run("verify", "--full").startswith("OK: 9 événements vérifiés")

    AuditEvent.objects.filter(pk=later[1].pk).update(reason="modifié après le point de contrôle")
    message = failure("verify")
    assert f"événement n° {later[1].pk} : contenu modifié" in message


def test_event_deleted_after_the_checkpoint_breaks_the_incremental_check(events):
    run("checkpoint")
    later = [audit.record(actor=None, action=Action.DEMO_DATA, details={"later": i}) for i in range(3)]
    AuditEvent.objects.filter(pk=later[0].pk).delete()  # its successor's link now points at a missing event
    assert f"événement n° {later[1].pk} : lien rompu" in failure("verify")


def test_rewrite_before_the_checkpoint_is_found_only_with_full(events):
    """Documented limit: the incremental check trusts the signed checkpoint for the events it attests (it counts
    them and re-checks the checkpoint's own event, not their content): an event altered before it is seen only
    when the whole chain is read again."""
    run("checkpoint")
    audit.record(actor=None, action=Action.DEMO_DATA)
    AuditEvent.objects.filter(pk=events[2].pk).update(reason="modifié avant le point de contrôle")

    assert run("verify").startswith("OK: 1 événement vérifié depuis le point de contrôle du ")
    message = failure("verify", "--full")
    assert f"événement n° {events[2].pk} : contenu modifié" in message


def test_incremental_verify_still_counts_and_checks_the_checkpointed_events(events):
    run("checkpoint")
    audit.record(actor=None, action=Action.DEMO_DATA)
    AuditEvent.objects.filter(pk=events[1].pk).delete()  # before the checkpoint: the count no longer matches
    assert "historique réécrit" in failure("verify")


def test_checkpointed_event_rewritten_with_the_key_is_found_incrementally(events):
    run("checkpoint")
    rewrite_with_the_key(events[-1])
    assert "historique réécrit" in failure("verify")


def test_without_a_checkpoint_the_incremental_check_reads_the_whole_chain(events):
    assert run("verify").startswith("OK: 6 événements vérifiés")
    AuditEvent.objects.filter(pk=events[0].pk).update(reason="modifié")
    assert f"événement n° {events[0].pk} : contenu modifié" in failure("verify")
