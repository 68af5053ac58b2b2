"""The token endpoint's throttle: counted in the database (the same for every gunicorn worker: it was per worker,
24 failures before the first 429), per client id and address (a failing client no longer locks out the other
clients behind the same address, nor itself from elsewhere); failures audited in aggregate."""

from urllib.parse import urlencode

import pytest
from django.test import Client

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.core import refusals
from oncodcc.core.models import RateCounter, RefusalTally
from oncodcc.interop.smart import services

FORM = "application/x-www-form-urlencoded"
A, B = "192.0.2.10", "198.51.100.20"


@pytest.fixture
def two_clients(hospital):
    x = services.create_client(actor="test", name="DPI X", organisation=hospital, scopes="system/Patient.read")
    y = services.create_client(actor="test", name="DPI Y", organisation=hospital, scopes="system/Patient.read")
    return x, y


def ask(client_id: str, secret: str, *, address: str, http: Client | None = None):
    return (http or Client()).post("/oauth/token", urlencode({"grant_type": "client_credentials",
                                                              "client_id": client_id, "client_secret": secret}),
                                   content_type=FORM, REMOTE_ADDR=address)


def fail_until_limit(client_id: str, address: str, limit: int, workers: list[Client]) -> None:
    for i in range(limit):
        assert ask(client_id, "faux", address=address, http=workers[i % len(workers)]).status_code == 401


def test_limit_is_shared_by_every_worker_and_stored_in_the_database(two_clients, settings):
    (x, _), _ = two_clients
    workers = [Client(), Client()]  # two gunicorn workers: one counter
    fail_until_limit(x.client_id, A, settings.SMART_TOKEN_FAILURE_LIMIT, workers)
    response = ask(x.client_id, "faux", address=A, http=workers[0])
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= settings.SMART_TOKEN_FAILURE_WINDOW_SECONDS
    counter = RateCounter.objects.get(key__startswith="smart.token:")
    assert counter.count == settings.SMART_TOKEN_FAILURE_LIMIT
    assert x.client_id not in counter.key and A not in counter.key  # digests only


def test_failing_client_does_not_throttle_another_client_from_the_same_address(two_clients, settings):
    (x, _), (y, y_secret) = two_clients
    fail_until_limit(x.client_id, A, settings.SMART_TOKEN_FAILURE_LIMIT, [Client()])
    assert ask(x.client_id, "faux", address=A).status_code == 429
    assert ask(y.client_id, y_secret, address=A).status_code == 200


def test_failures_from_one_address_do_not_throttle_the_client_elsewhere(two_clients, settings):
    (x, x_secret), _ = two_clients
    fail_until_limit(x.client_id, A, settings.SMART_TOKEN_FAILURE_LIMIT, [Client()])
    assert ask(x.client_id, x_secret, address=A).status_code == 429  # even with the right secret, until it ends
    assert ask(x.client_id, x_secret, address=B).status_code == 200


def test_failures_are_audited_in_aggregate_with_their_count(two_clients, settings):
    (x, _), _ = two_clients
    settings.SMART_TOKEN_FAILURE_LIMIT = 1000
    for i in range(200):
        ask(x.client_id if i % 2 else "inconnu", "faux", address=A)
    events = AuditEvent.objects.filter(action=Action.LOGIN_FAILED)
    assert events.count() == 1  # not 200
    # The window passes: the next refusal (from anywhere) writes what was counted meanwhile.
    RefusalTally.objects.update(last_event_at=RefusalTally.objects.get().last_event_at - refusals.window())
    assert refusals.flush() == 1
    counts = [e.details["count"] for e in events.order_by("id")]
    assert counts == [1, 199] and sum(counts) == 200
    last = events.order_by("id").last()
    assert last.details["reasons"] == {"unknown_client": 99, "bad_secret": 100}
    assert last.ip_address == A and last.details["source"] == A
    assert x.client_id not in str(last.details)
