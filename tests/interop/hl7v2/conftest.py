import pytest

from oncodcc.interop.hl7v2 import processing
from oncodcc.interop.hl7v2.models import Hl7Sender
from tests import samples

from . import messages


@pytest.fixture(autouse=True)
def _keep_test_transaction(request, monkeypatch):
    # handle_message closes unusable connections, which would close the one holding the test transaction; the
    # tests marked transaction=True keep the real behaviour.
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        monkeypatch.setattr(processing, "close_old_connections", lambda: None)


@pytest.fixture
def hospital(db):
    return samples.hospital(name="Centre hospitalier de Test")


@pytest.fixture
def sender(hospital):
    return Hl7Sender.objects.create(application=messages.APP, facility=messages.FACILITY, organisation=hospital)
