import pytest

from oncodcc.diffusion.doubles.smtp_relay import SmtpRelay


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
