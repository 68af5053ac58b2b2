"""A real SMTP server in-process for the application's own mail (account flows): the aiosmtpd relay double of
oncodcc.diffusion.doubles, with Django's mail pointed at it as the DCC_EMAIL_* settings would (plain SMTP on
127.0.0.1). Tests read what arrived: recipients, subject, body, and the links inside."""

import re

import pytest

from oncodcc.diffusion.doubles.smtp_relay import SmtpRelay

LINK = re.compile(r"https?://\S+/comptes/(?:activation|mot-de-passe)/[^/\s]+/[^/\s]+/")


class Mailbox:
    def __init__(self, relay: SmtpRelay):
        self.relay = relay

    @property
    def messages(self):
        return [mail.message() for mail in self.relay.messages]

    def to(self, address: str):
        return [mail.message() for mail in self.relay.messages if address in mail.rcpt_tos]

    @staticmethod
    def body(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    def link(self, address: str) -> str:
        """The link of the last message to `address`."""
        messages = self.to(address)
        assert messages, f"no message to {address}"
        match = LINK.search(self.body(messages[-1]))
        assert match, "no link in the message"
        return match.group(0)


@pytest.fixture
def mailbox(settings):
    with SmtpRelay(tls="none") as relay:
        settings.DCC_EMAIL_HOST, settings.DCC_EMAIL_PORT, settings.DCC_EMAIL_TLS = "127.0.0.1", relay.port, "none"
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", relay.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 10
        yield Mailbox(relay)
