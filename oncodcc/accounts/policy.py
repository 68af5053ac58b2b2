"""Permissions on account requests (registered with the one authorization contract, oncodcc.core.policy).

The worklist is for the administrators who manage accounts: a 3C administrator (the requests naming their 3C, its
hospitals or its boards), the DSRC administrator and the system administrator (all of them). Deciding also needs
the request to be pending."""

from oncodcc.core.policy import is_signed_in, register

from . import account_requests
from .models import AccountRequest, Role

DECIDERS = frozenset({Role.ADMIN_3C, Role.ADMIN_DSRC, Role.SYSADMIN})


def _decider(actor) -> bool:
    return is_signed_in(actor) and (actor.is_superuser or actor.role in DECIDERS)


@register("account_request.view", "Voir les demandes de compte (liste de travail, détail)")
def may_view(actor, request: AccountRequest | None = None) -> bool:
    if not _decider(actor):
        return False
    return request is None or account_requests.in_scope(actor, request)


@register("account_request.decide", "Accepter ou refuser une demande de compte")
def may_decide(actor, request: AccountRequest | None = None) -> bool:
    return may_view(actor, request) and (request is None or request.is_pending)
