import pytest
from django.utils import timezone

from oncodcc.accounts.models import Charter
from oncodcc.accounts.rpps import with_key
from oncodcc.diffusion.doubles.smtp_relay import SmtpRelay
from tests import factories as f
from tests.mailbox import mailbox  # noqa: F401 (fixture)


@pytest.fixture
def charter(db):
    return Charter.objects.create(version=1, text="Je m'engage à ne consulter que les dossiers de mes patients.",
                                  published_at=timezone.now())


@pytest.fixture
def region(db, charter):
    """A DSRC with two 3Cs, each with a hospital and a board; their administrators."""
    dsrc = f.DsrcFactory()
    ccc, other_ccc = f.CccFactory(parent=dsrc), f.CccFactory(parent=dsrc)
    hospital, other_hospital = f.OrganisationFactory(), f.OrganisationFactory()
    board = f.BoardFactory(managing_3c=ccc, name="RCP Sein Nord")
    board.hospitals.add(hospital)
    other_board = f.BoardFactory(managing_3c=other_ccc, name="RCP Digestif Sud")
    other_board.hospitals.add(other_hospital)
    return {
        "dsrc": dsrc, "ccc": ccc, "other_ccc": other_ccc, "hospital": hospital, "other_hospital": other_hospital,
        "board": board, "other_board": other_board,
        "admin3c": f.UserFactory(username="admin3c", role="admin_3c", is_staff=True, organisation=ccc),
        "other_admin3c": f.UserFactory(username="autre3c", role="admin_3c", is_staff=True, organisation=other_ccc),
        "admindsrc": f.UserFactory(username="admindsrc", role="admin_dsrc", is_staff=True, organisation=dsrc),
    }


RPPS = with_key("1000123456")


@pytest.fixture
def smtp(settings):
    """A real SMTP server on localhost (aiosmtpd) receiving the application's emails."""
    relay = SmtpRelay().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = relay.host, relay.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield relay
    relay.stop()
