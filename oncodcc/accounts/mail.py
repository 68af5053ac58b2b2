"""The emails of the account flows (decision on a request, activation and reset links): French, plain text, no
clinical content, rendered from templates/accounts/mail/<name>.txt (first line: the subject). Sent through Django's
mail (DCC_EMAIL_* settings); the callers decide what a failure means (roll back a decision, or keep silent on a
public form so that nothing tells whether an account exists). Application logs never name the recipient."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def send(template: str, *, to: str, context: dict) -> None:
    """Render and send one message; SMTP errors propagate."""
    rendered = render_to_string(f"accounts/mail/{template}.txt", {
        **context, "region": getattr(settings, "DCC_REGION_NAME", ""),
    })
    subject, _, body = rendered.lstrip().partition("\n")
    EmailMessage(subject=subject.strip(), body=body.strip() + "\n", from_email=settings.DCC_EMAIL_FROM,
                 to=[to]).send()
    logger.info("account mail sent: %s", template)


def send_quietly(template: str, *, to: str, context: dict) -> bool:
    """For the public forms: a failure is logged (without the address), never shown (the answer must not depend
    on whether an account exists). Returns whether it left."""
    try:
        send(template, to=to, context=context)
    except Exception:  # SMTP errors, timeouts, refused recipients: the same for the requester
        logger.exception("account mail not sent: %s", template)
        return False
    return True
