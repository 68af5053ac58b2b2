"""A real SMTP server in-process (the aiosmtpd relay double of the diffusion tests) with the application's
DCC_EMAIL_* settings pointed at it."""

import socket

import pytest

from oncodcc.diffusion.doubles.smtp_relay import SmtpRelay


@pytest.fixture
def relay():
    with SmtpRelay() as r:
        yield r


@pytest.fixture
def mail_settings(settings, relay):
    settings.DCC_EMAIL_HOST = "127.0.0.1"
    settings.DCC_EMAIL_PORT = relay.port
    settings.DCC_EMAIL_TLS = "none"
    settings.DCC_EMAIL_USER = settings.DCC_EMAIL_PASSWORD = ""
    settings.DCC_EMAIL_TIMEOUT = 5
    settings.DCC_EMAIL_FROM = "OncoDCC <ne-pas-repondre@oncodcc.invalid>"
    settings.DCC_SITE_URL = "https://dcc.example.invalid"
    return settings


def texts(relay) -> list[tuple[tuple[str, ...], str, str]]:
    """(recipients, subject, plain body) of every message the relay accepted."""
    found = []
    for mail in relay.messages:
        message = mail.message()
        # A long encoded subject is folded; unfolded, its first word keeps a leading blank.
        found.append((mail.rcpt_tos, str(message["Subject"]).strip(), message.get_content()))
    return found


def closed_port() -> int:
    """A local port nothing listens on (taken from the system, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
