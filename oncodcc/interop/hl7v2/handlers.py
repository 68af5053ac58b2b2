"""Import the message handlers so that they register in processing.HANDLERS (done once, from apps.ready)."""

from . import documents, pam  # noqa: F401
