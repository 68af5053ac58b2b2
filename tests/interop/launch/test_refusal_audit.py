"""Unauthenticated /launch refusals are audited in aggregate: one event per address and window carrying the count
(200 bad tokens wrote 200 events in 11 s); a refusal signed by a registered key keeps its own event."""

from django.test import Client

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.core import refusals
from oncodcc.core.models import RefusalTally

A, B = "192.0.2.10", "198.51.100.20"


def bad_launch(address: str, value: str = "pas.un.jeton"):
    return Client().get("/launch", {"token": value}, REMOTE_ADDR=address)


def pass_the_window() -> None:
    for tally in RefusalTally.objects.all():
        tally.last_event_at -= refusals.window()
        tally.save(update_fields=["last_event_at"])


def test_200_bad_tokens_are_a_handful_of_events_whose_counts_add_up(db):
    for i in range(200):
        assert bad_launch(A, "pas.un.jeton" if i % 4 else "").status_code == 400
    events = AuditEvent.objects.filter(action=Action.LAUNCH_REFUSED).order_by("id")
    assert events.count() == 1
    first = events.get()
    assert first.details["count"] == 1 and first.details["reason"] == "missing_token"
    assert first.ip_address == A

    pass_the_window()
    assert bad_launch(A).status_code == 400  # the next refusal after the window writes what was counted
    counts = [e.details["count"] for e in events]
    assert counts == [1, 200] and sum(counts) == 201
    assert events.last().details["reasons"] == {"missing_token": 49, "malformed_token": 151}
    assert not RefusalTally.objects.filter(pending__gt=0).exists()


def test_each_address_has_its_own_aggregate(db):
    for address in (A, B, A, B, A):
        bad_launch(address)
    events = AuditEvent.objects.filter(action=Action.LAUNCH_REFUSED)
    assert sorted(e.ip_address for e in events) == [A, B]
    assert {t.source: t.pending for t in RefusalTally.objects.all()} == {A: 2, B: 1}
    pass_the_window()
    assert refusals.flush() == 2
    assert sum(e.details["count"] for e in events.all()) == 5


def test_signed_refusals_keep_one_event_each(client, signer):
    token = signer.token()
    assert client.get("/launch", {"token": token}).status_code == 302
    for _ in range(3):
        assert Client().get("/launch", {"token": token}).status_code == 401  # replayed: the hospital signed it
    events = AuditEvent.objects.filter(action=Action.LAUNCH_REFUSED)
    assert [e.details["reason"] for e in events] == ["replayed"] * 3
    assert not RefusalTally.objects.exists()
