import pytest

from oncodcc.interop.hl7v2.models import Hl7Sender
from tests import samples

from . import messages


@pytest.fixture
def hospital(db):
    return samples.hospital(name="Centre hospitalier de Test")


@pytest.fixture
def sender(hospital):
    return Hl7Sender.objects.create(application=messages.APP, facility=messages.FACILITY, organisation=hospital)
