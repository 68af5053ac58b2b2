"""/launch never answers 500: random tokens, and validly signed tokens whose claims are mutated at random; two
browsers using the same token at the same instant over real HTTP get exactly one launch."""

import json
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action

json_scalars = st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.text(max_size=30)
json_values = st.recursive(json_scalars, lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(st.text(max_size=10), children, max_size=3), max_leaves=6)
CLAIMS = ("iss", "aud", "iat", "exp", "jti", "sub", "intent", "patient")
PATIENT_FIELDS = ("ipp", "ins", "birth_name", "birth_given_names", "birth_date", "sex", "birthplace_insee",
                  "identity_status", "used_name")
ALLOWED = {302, 400, 401, 403}


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.text(max_size=300) | st.from_regex(r"[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,40}",
                                                     fullmatch=True))
def test_random_tokens(client, token):
    response = client.post("/launch", {"token": token})
    assert response.status_code in {400, 401}


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_signed_tokens_with_mutated_claims(client, signer, data):
    claims = signer.claims()
    for name in data.draw(st.lists(st.sampled_from(CLAIMS), max_size=3, unique=True)):
        claims[name] = data.draw(json_values)
    if isinstance(claims.get("patient"), dict):
        for name in data.draw(st.lists(st.sampled_from(PATIENT_FIELDS), max_size=3, unique=True)):
            claims["patient"][name] = data.draw(json_values)
    # PyJWS, not jwt.encode: the latter refuses to sign claims of the wrong type, which is what we test here.
    token = jwt.PyJWS().encode(json.dumps(claims).encode(), signer.private, algorithm="RS256")
    response = client.post("/launch", {"token": token})
    assert response.status_code in ALLOWED, claims
    client.logout()


def test_same_token_at_the_same_instant_opens_once(live_server, transactional_db, signer):
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # The shared-cache in-memory test database answers "table is locked" at once instead of waiting (no busy
        # timeout): it cannot serialise concurrent writers as a file database (WAL + IMMEDIATE) or PostgreSQL do.
        pytest.skip("concurrency needs PostgreSQL or a file SQLite database")
    url = f"{live_server.url}/launch?{urlencode({'token': signer.token()})}"
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def hit():
        barrier.wait()
        try:
            statuses.append(opener.open(url, timeout=30).status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    threads = [threading.Thread(target=hit) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302, 401, 401, 401], statuses
    assert AuditEvent.objects.filter(action=Action.LAUNCH).count() == 1
    assert [e.details["reason"] for e in AuditEvent.objects.filter(action=Action.LAUNCH_REFUSED)] == ["replayed"] * 3
    assert time.monotonic() - started < 30
