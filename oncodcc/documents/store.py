"""The content-addressed file store of renderings: var/media/documents/<sha[:2]>/<sha>.<ext>.

A file is written to a temporary name then renamed, and only then does the database row say READY, so a reader
never sees a half-written file; identical content is stored once."""

import hashlib
from pathlib import Path

from django.conf import settings

from oncodcc.core.files import atomic_write


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / "documents"


def path_for(sha256: str, extension: str) -> Path:
    return root() / sha256[:2] / f"{sha256}.{extension}"


def put(content: bytes, extension: str) -> tuple[str, Path]:
    sha256 = hashlib.sha256(content).hexdigest()
    target = path_for(sha256, extension)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, content)
    return sha256, target


class CorruptRendering(Exception):
    pass


def get(sha256: str, extension: str) -> bytes:
    """The stored bytes, checked against their SHA-256."""
    content = path_for(sha256, extension).read_bytes()
    if hashlib.sha256(content).hexdigest() != sha256:
        raise CorruptRendering(sha256)
    return content
