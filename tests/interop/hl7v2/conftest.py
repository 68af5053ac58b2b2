import pytest
from django.db import connection

from oncodcc.interop.hl7v2.mllp import ListenerThread
from oncodcc.interop.hl7v2.models import Hl7Sender
from tests import samples

from . import messages


@pytest.fixture
def hospital(db):
    return samples.hospital(name="Centre hospitalier de Test")


@pytest.fixture
def sender(hospital):
    return Hl7Sender.objects.create(application=messages.APP, facility=messages.FACILITY, organisation=hospital)


def workers_for_test_database() -> int:
    """One worker thread on SQLite's in-memory test database (one connection), several otherwise."""
    return 1 if connection.vendor == "sqlite" and connection.is_in_memory_db() else 8


@pytest.fixture
def start_listener(sender):
    started = []

    def start(**options) -> ListenerThread:
        thread = ListenerThread(**{"workers": workers_for_test_database(), **options})
        thread.start()
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.close(grace=10)
