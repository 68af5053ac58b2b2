import os

import pytest
from django.test.client import ClientMixin

from tests import auth
from tests import factories as f

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 is slow on purpose; tests create hundreds of accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _force_login_past_the_second_factor(monkeypatch):
    # force_login stands for a whole sign-in, second factor included (why: tests/auth.py).
    monkeypatch.setattr(ClientMixin, "force_login", auth.force_login_strong)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Document renderings go to a per-test file store, never into var/.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _audit_checkpoints_in_tmp(settings, tmp_path):
    # `dcc audit verify` reads the checkpoints of DCC_AUDIT_CHECKPOINT_FILE: never those of a local var/.
    settings.DCC_AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"


@pytest.fixture(autouse=True)
def _plain_static(settings):
    # The manifest storage needs collectstatic; tests use plain static files.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def board(db):
    return f.BoardFactory()


@pytest.fixture
def coordinator(board):
    user = f.DoctorFactory(role="coordinator")
    f.add_member(board, user.practitioner, coordinator=True)
    return user


@pytest.fixture
def secretary(board):
    user = f.UserFactory(role="secretary", organisation=board.managing_3c)
    board.secretaries.add(user)
    return user


@pytest.fixture
def member_doctor(board):
    user = f.DoctorFactory()
    f.add_member(board, user.practitioner, specialty=user.practitioner.specialty)
    return user


@pytest.fixture
def outsider(db):
    return f.DoctorFactory()


@pytest.fixture
def meeting(board):
    return f.MeetingFactory(board=board)


@pytest.fixture
def registration(meeting, member_doctor):
    return f.RegistrationFactory(meeting=meeting, created_by=member_doctor,
                                 requesting_doctor=member_doctor.practitioner,
                                 presenting_doctor=member_doctor.practitioner)


@pytest.fixture
def patient(registration):
    return registration.patient


@pytest.fixture
def held_meeting(meeting):
    """The meeting took place (open, started an hour ago) with a quorum of three specialties."""
    return f.hold(meeting)
