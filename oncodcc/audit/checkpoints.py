"""Signed checkpoints of the chain head, appended to a file outside the database (ADR 0006).

Each line of `DCC_AUDIT_CHECKPOINT_FILE` is a JSON object: when, the last event's id, the number of events, the
last hash, the key id, and an HMAC of those with the audit key. `dcc audit verify` checks the chain against
every line: events deleted (a truncated tail, even with a head re-signed by someone holding the key) or rewritten
before a checkpoint are detected as long as the file is kept where the database's writers cannot reach it.
"""

import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from . import chain, keys
from .models import AuditChainHead


@dataclass(frozen=True)
class Checkpoint:
    line: int
    at: str
    last_event_id: int
    count: int
    last_hash: str

    def label(self) -> str:
        try:
            when = timezone.localtime(datetime.fromisoformat(self.at)).strftime("%d/%m/%Y %H:%M:%S")
        except ValueError:
            when = self.at
        return f"point de contrôle du {when} (ligne {self.line})"

    def check(self, event, checked: int) -> None:
        """Called when the walk reaches this checkpoint's last event (or passes it, or ends before it)."""
        if self.count == 0:
            return  # taken on an empty chain
        if event is None:
            raise chain.broken(self.last_event_id, f"chaîne tronquée : le {self.label()} attestait {self.count} "
                                                   f"événement(s) jusqu'au n° {self.last_event_id}")
        if event.id != self.last_event_id:
            raise chain.broken(self.last_event_id, f"événement disparu : le {self.label()} l'attestait")
        if not hmac.compare_digest(event.hash, self.last_hash) or checked != self.count:
            raise chain.broken(event.id, f"historique réécrit : ne correspond plus au {self.label()}")


class CheckpointError(Exception):
    pass


def checkpoint_file(path: str | Path | None = None) -> Path:
    return Path(path) if path else Path(settings.DCC_AUDIT_CHECKPOINT_FILE)


def read(path: Path) -> list[Checkpoint]:
    """Every checkpoint of the file (none if it does not exist); a line that is not signed by a known key
    is an error, not skipped."""
    if not path.exists():
        return []
    ring = chain.keyring()
    found = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
            signed = (int(data["last_event_id"]), int(data["count"]), str(data["last_hash"]))
            key = ring.get(str(data["key_id"]))
            signature = str(data["mac"])
            at = str(data["at"])
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"{path}, ligne {number} : point de contrôle illisible") from exc
        if key is None:
            raise CheckpointError(f"{path}, ligne {number} : signé avec une clé inconnue ({data['key_id']})")
        if not hmac.compare_digest(_sign(key, at, signed), signature):
            raise CheckpointError(f"{path}, ligne {number} : signature invalide (point de contrôle falsifié)")
        found.append(Checkpoint(number, at, *signed))
    return found


def _sign(key: str, at: str, signed: tuple) -> str:
    # The date is signed with the head (a forged date would mislead whoever reads the report).
    return keys.mac(key, f"checkpoint|{at}|{signed[0]}:{signed[1]}:{signed[2]}")


def verify(batch_size: int = 5000, path: str | Path | None = None,
           full: bool = True) -> tuple[chain.VerifyResult, Path]:
    """The chain checked against the checkpoints of `path` (default DCC_AUDIT_CHECKPOINT_FILE). `full=False`:
    from the last signed checkpoint only (the whole chain when there is none)."""
    target = checkpoint_file(path)
    try:
        found = read(target)
    except CheckpointError as exc:
        return chain.VerifyResult(ok=False, checked=0, problem=str(exc)), target
    since = None if full else last_non_empty(found)
    return chain.verify_chain(batch_size=batch_size, checkpoints=found, since=since), target


def last_non_empty(found: list[Checkpoint]) -> Checkpoint | None:
    """The checkpoint attesting the longest chain; one taken on an empty chain attests nothing to start from."""
    attested = [checkpoint for checkpoint in found if checkpoint.count]
    return max(attested, key=lambda checkpoint: checkpoint.last_event_id) if attested else None


def write(path: str | Path | None = None, batch_size: int = 5000,
          full: bool = True) -> tuple[chain.VerifyResult, dict | None, Path]:
    """Verify the chain (against the earlier checkpoints) and, if intact, append a signed line with its head."""
    result, target = verify(batch_size=batch_size, path=path, full=full)
    if not result.ok:
        return result, None, target
    head = AuditChainHead.objects.filter(pk=1).first()
    signed = (head.last_event_id, head.count, head.last_hash) if head else (0, 0, chain.GENESIS)
    key = chain.current_key()
    at = timezone.now().isoformat()
    line = {"at": at, "last_event_id": signed[0], "count": signed[1], "last_hash": signed[2],
            "key_id": keys.key_id(key), "mac": _sign(key, at, signed)}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return result, line, target
