"""The audit key: the secret that signs the chain (HMAC-SHA256), kept outside the database.

Production reads it from the environment (`DCC_AUDIT_KEY`, `dcc check --deploy` refuses its absence). In debug or
demo mode without that variable, a random key is generated once into a file of the variable-data directory (mode
0600), like a local secret key. This module has no Django import: `settings.py` uses it.
"""

import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

# The marker of events hashed before the key existed (plain SHA-256: integrity only, no authenticity).
LEGACY_ALG = "sha256"
HMAC_PREFIX = "hmac-sha256:"
MIN_KEY_LENGTH = 32


def key_id(key: str) -> str:
    """A short public fingerprint of a key: names the key in each event without revealing it."""
    return hashlib.sha256(b"oncodcc-audit-key-id\x00" + key.encode("utf-8")).hexdigest()[:12]


def alg_for(key: str) -> str:
    return f"{HMAC_PREFIX}{key_id(key)}"


def mac(key: str, message: str) -> str:
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def read_or_create(path: Path) -> str:
    """The key stored in `path`, created (random, mode 0600) on first use. Safe when several processes start
    together: the file appears complete or not at all (written aside, then hard-linked into place)."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


def head_mac(key: str, last_event_id: int, count: int, last_hash: str) -> str:
    """The signature of a chain head (the head row, a checkpoint): which event is last, how many, its hash."""
    return mac(key, f"{last_event_id}:{count}:{last_hash}")
