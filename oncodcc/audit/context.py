"""Where a request comes from, for audit events written deep in services."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip_address: str = ""
    user_agent: str = ""
    channel: str = "web"


_SYSTEM = RequestContext(channel="system")
_current: ContextVar[RequestContext] = ContextVar("audit_request_context", default=_SYSTEM)


def current() -> RequestContext:
    return _current.get()


def set_current(ctx: RequestContext):
    return _current.set(ctx)


def reset(token) -> None:
    _current.reset(token)
