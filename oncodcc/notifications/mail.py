"""Sending one email through the application's relay (DCC_EMAIL_*), with the outcome the outbox needs.

The relay is read from the DCC_EMAIL_* settings at each send (not only from Django's EMAIL_* at start-up), so that
an operator's or a test's relay is the one used; without DCC_EMAIL_HOST, Django's configured backend (files under
var/mail/ in demo and developer mode)."""

import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection


@dataclass(frozen=True)
class Outcome:
    state: str  # "sent" | "retry" (transient: try again later) | "refused" (permanent: the relay said 5xx)
    detail: str = ""


def connection():
    if not settings.DCC_EMAIL_HOST:
        return get_connection()
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=settings.DCC_EMAIL_HOST, port=settings.DCC_EMAIL_PORT,
        username=settings.DCC_EMAIL_USER or None, password=settings.DCC_EMAIL_PASSWORD or None,
        use_tls=settings.DCC_EMAIL_TLS == "starttls", use_ssl=settings.DCC_EMAIL_TLS == "ssl",
        timeout=settings.DCC_EMAIL_TIMEOUT,
    )


def send(*, to: str, subject: str, body: str) -> Outcome:
    message = EmailMessage(subject=subject, body=body, from_email=settings.DCC_EMAIL_FROM, to=[to],
                           headers={"Auto-Submitted": "auto-generated"}, connection=connection())
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        permanent = codes and all(code >= 500 for code in codes)
        return Outcome("refused" if permanent else "retry", f"Destinataire refusé par le relais ({codes}).")
    except smtplib.SMTPResponseException as exc:
        state = "refused" if exc.smtp_code >= 500 else "retry"
        return Outcome(state, f"Réponse {exc.smtp_code} du relais de messagerie.")
    except (smtplib.SMTPException, OSError) as exc:  # OSError covers refused connections and timeouts
        return Outcome("retry", f"Relais de messagerie injoignable ({exc.__class__.__name__}).")
    return Outcome("sent")
