"""Login lockout per account and address with a progressive cool-off: five wrong passwords from anywhere locked
any account (or any non-existent username) for everyone; now only for that address, growing with repetition."""

import re
from datetime import timedelta
from html import unescape

import pytest
from axes.models import AccessAttempt
from django.test import Client

from oncodcc.core.models import RateCounter
from tests import factories as f

LOGIN = "/comptes/connexion/"
A, B = "192.0.2.10", "198.51.100.20"
WRONG = "mauvais-mot-de-passe"


@pytest.fixture
def doctor(db):
    return f.DoctorFactory(username="dr.durand")


def login(username: str, password: str, address: str):
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": username, "password": password})


def fail(username: str, address: str, times: int):
    for _ in range(times):
        response = login(username, WRONG, address)
    return response


def test_a_stranger_elsewhere_cannot_lock_the_user_out(doctor, settings):
    response = fail("dr.durand", A, settings.AXES_FAILURE_LIMIT)
    assert response.status_code == 429 and "Connexion temporairement bloquée" in response.content.decode()
    assert login("dr.durand", f.TEST_PASSWORD, A).status_code == 429  # locked at A, even with the password
    assert login("dr.durand", f.TEST_PASSWORD, B).status_code == 302  # the user at B signs in


def test_unknown_username_behaves_like_a_real_one(doctor, settings):
    real = [login("dr.durand", WRONG, A) for _ in range(settings.AXES_FAILURE_LIMIT + 1)]
    ghost = [login("dr.personne", WRONG, A) for _ in range(settings.AXES_FAILURE_LIMIT + 1)]
    assert [r.status_code for r in real] == [r.status_code for r in ghost]
    assert [r.status_code for r in real][-2:] == [429, 429]

    def text(response):  # the typed username and the CSRF tokens aside
        page = unescape(response.content.decode()).replace("dr.durand", "X").replace("dr.personne", "X")
        return re.sub(r"[A-Za-z0-9]{64}", "CSRF", page)

    assert text(real[0]) == text(ghost[0])
    assert "Identifiant ou mot de passe incorrect" in text(ghost[0])
    assert text(real[-1]) == text(ghost[-1])


def test_cool_off_doubles_with_each_lockout_and_waiting_does_not_extend_it(doctor, settings):
    settings.DCC_LOGIN_COOLOFF_BASE = timedelta(minutes=15)
    first = fail("dr.durand", A, settings.AXES_FAILURE_LIMIT)
    assert "Réessayez dans\n  15 minutes" in unescape(first.content.decode())
    locked_at = AccessAttempt.objects.get().attempt_time
    assert login("dr.durand", f.TEST_PASSWORD, A).status_code == 429
    assert AccessAttempt.objects.get().attempt_time == locked_at  # trying again does not push the lock forward

    # The cool-off passes: the right password works again.
    AccessAttempt.objects.update(attempt_time=locked_at - timedelta(minutes=16))
    assert login("dr.durand", f.TEST_PASSWORD, A).status_code == 302
    second = fail("dr.durand", A, settings.AXES_FAILURE_LIMIT)
    assert "Réessayez dans\n  30 minutes" in unescape(second.content.decode())
    # Sixteen minutes are not enough any more.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    assert login("dr.durand", f.TEST_PASSWORD, A).status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=15))
    assert login("dr.durand", f.TEST_PASSWORD, A).status_code == 302
    # Counted in the database (the same for every worker), without the username nor the address.
    counter = RateCounter.objects.get(key__startswith="login.lockout:")
    assert counter.count == 2 and "durand" not in counter.key and A not in counter.key
