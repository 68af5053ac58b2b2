"""A local SMTP relay standing in for the MSSanté operator's relay (tests and demo).

An aiosmtpd Controller on 127.0.0.1 (port 0: a free port, read back after start) with optional AUTH (one login and
password), STARTTLS or implicit TLS (a self-signed certificate made on start), that keeps every message accepted in
memory and, when given a directory, as an .eml file (the demo uses var/mail/). `reply` makes the relay answer the
next messages with a given SMTP reply instead of 250 (e.g. "451 4.3.0 Réessayez plus tard").

    relay = SmtpRelay(tls="starttls", login=("dcc", "secret"), directory=Path("var/mail")).start()
    ... relay.port, relay.ca_file ...
    relay.stop()
"""

from __future__ import annotations

import ssl
import tempfile
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .tlscert import self_signed


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    received_at: datetime

    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)


class _Handler:
    def __init__(self, relay: SmtpRelay):
        self.relay = relay

    async def handle_DATA(self, server, session, envelope):
        return self.relay._accept(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.content)


class _Controller(Controller):
    """Controller that can listen on port 0: the real port is read from the socket before the first connection."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpRelay:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, tls: str = "none",
                 login: tuple[str, str] | None = None, directory: Path | None = None):
        if tls not in ("none", "starttls", "tls"):
            raise ValueError("tls must be none, starttls or tls")
        self.host, self.port, self.tls, self.login, self.directory = host, port, tls, login, directory
        self.messages: list[ReceivedMail] = []
        self.reply: str | None = None  # e.g. "451 4.3.0 ..." or "554 5.7.1 ..." instead of accepting
        self._lock = threading.Lock()
        self._controller: _Controller | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.ca_file: Path | None = None

    # --- life cycle -------------------------------------------------------------------------------------------

    def start(self) -> SmtpRelay:
        kwargs: dict = {"hostname": self.host, "port": self.port, "server_hostname": "localhost"}
        if self.tls != "none":
            self._tmp = tempfile.TemporaryDirectory(prefix="dcc-smtp-")
            files = self_signed(Path(self._tmp.name))
            self.ca_file = files.cert
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(files.cert, files.key)
            kwargs["ssl_context" if self.tls == "tls" else "tls_context"] = context
            if self.tls == "starttls":
                kwargs["require_starttls"] = True
        if self.login is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=self.tls != "none")
        self._controller = _Controller(_Handler(self), **kwargs)
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SmtpRelay:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- behaviour --------------------------------------------------------------------------------------------

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and self.login is not None
              and auth_data.login.decode() == self.login[0] and auth_data.password.decode() == self.login[1])
        return AuthResult(success=ok, handled=False)

    def _accept(self, mail_from: str, rcpt_tos: tuple[str, ...], content: bytes) -> str:
        if self.reply:
            return self.reply
        mail = ReceivedMail(mail_from, rcpt_tos, content, datetime.now(UTC))
        with self._lock:
            self.messages.append(mail)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{mail.received_at:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
            (self.directory / name).write_bytes(content)
        return "250 2.0.0 OK: queued"
