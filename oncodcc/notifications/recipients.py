"""Who receives a notification, and at which address.

A practitioner with an active account is written to at the account's email (the address the user keeps up to date
and signs in with); without an account, or when the account has no email, at the directory's address. No
address: no email."""

from django.conf import settings

from oncodcc.accounts.models import User
from oncodcc.directory.models import Practitioner

from .outbox import Recipient


def for_practitioners(practitioners: list[Practitioner]) -> dict[int, Recipient]:
    """practitioner id → recipient, for those that have an address. The recipient names the active account even
    when its address comes from the directory (an account without an email): rights are the account's."""
    ids = {p.pk for p in practitioners}
    accounts = {u.practitioner_id: u for u in User.objects.filter(practitioner_id__in=ids, is_active=True)}
    found = {}
    for practitioner in practitioners:
        account = accounts.get(practitioner.pk)
        address = (account.email if account is not None else "") or practitioner.email
        if address:
            found[practitioner.pk] = Recipient(address, user_id=account.pk if account is not None else None,
                                               practitioner_id=practitioner.pk)
    return found


def site_link(path: str) -> str:
    """An absolute link into the application (DCC_SITE_URL): emails are read outside any request."""
    return settings.DCC_SITE_URL.rstrip("/") + path
