"""The hash chain: how an event's hash is computed, and the proof that the chain is intact (ADR 0002, 0006).

Events written since the audit key exist carry `hash = HMAC-SHA256(key, canonical content + prev_hash)` and the
marker `hmac-sha256:<key id>`; older ones a plain SHA-256 (marker `sha256`). Plain events are accepted only
before the first keyed one, and the chain head is signed: whoever rewrites the table without the key (even
recomputing every plain hash) is detected. Signed checkpoints kept outside the database also reveal a history
rewritten or truncated by someone who holds the key.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import keys
from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def current_key() -> str:
    key = settings.DCC_AUDIT_KEY
    if not key:
        raise ImproperlyConfigured(
            "DCC_AUDIT_KEY n'est pas défini : la piste d'audit ne peut pas être signée (voir docs/adr/0006).")
    return key


def keyring() -> dict[str, str]:
    """Every key that may have signed events, by key id: the current one and those replaced by a rotation."""
    known = [settings.DCC_AUDIT_KEY, *settings.DCC_AUDIT_PREVIOUS_KEYS]
    return {keys.key_id(key): key for key in known if key}


def _canonical(event: AuditEvent, *, keyed: bool) -> str:
    payload = {
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "actor_role": event.actor_role,
        "action": event.action,
        "patient_id": event.patient_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "reason": event.reason,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    if keyed:
        payload["hash_alg"] = event.hash_alg  # the marker is signed too: it cannot be downgraded
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def legacy_digest(event: AuditEvent) -> str:
    """The plain SHA-256 of the events written before the audit key (and of a forger without the key)."""
    return hashlib.sha256(_canonical(event, keyed=False).encode("utf-8")).hexdigest()


def keyed_digest(event: AuditEvent, key: str) -> str:
    return keys.mac(key, _canonical(event, keyed=True))


def seal(event: AuditEvent) -> None:
    """Set the event's marker and keyed hash (its prev_hash already set)."""
    key = current_key()
    event.hash_alg = keys.alg_for(key)
    event.hash = keyed_digest(event, key)


def sign_head(last_event_id: int, count: int, last_hash: str) -> dict:
    key = current_key()
    return {"key_id": keys.key_id(key), "mac": keys.head_mac(key, last_event_id, count, last_hash)}


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str = ""
    legacy: int = 0  # events hashed before the audit key
    key_ids: set[str] = field(default_factory=set)
    checkpoints: int = 0
    since: object = None  # the checkpoint an incremental check started from (None: the whole chain was read)

    @property
    def walked(self) -> int:
        """Events read and checked one by one (all of them, or those after the starting checkpoint)."""
        return self.checked - (self.since.count if self.since else 0)


class _Broken(Exception):
    def __init__(self, event_id: int | None, problem: str):
        super().__init__(problem)
        self.event_id, self.problem = event_id, problem


def _check_event(event: AuditEvent, ring: dict[str, str], seen_keyed: bool) -> str | None:
    """The key id of a keyed event, None for a plain one; raises _Broken when its hash does not match."""
    if event.hash_alg == keys.LEGACY_ALG:
        if seen_keyed:
            raise _Broken(event.id, "empreinte sans clé après des événements signés (historique réécrit)")
        if not hmac.compare_digest(legacy_digest(event), event.hash):
            raise _Broken(event.id, "contenu modifié (empreinte différente)")
        return None
    if not event.hash_alg.startswith(keys.HMAC_PREFIX):
        raise _Broken(event.id, f"algorithme d'empreinte inconnu « {event.hash_alg} »")
    kid = event.hash_alg.removeprefix(keys.HMAC_PREFIX)
    key = ring.get(kid)
    if key is None:
        raise _Broken(event.id, f"signé avec une clé inconnue (identifiant {kid}) : DCC_AUDIT_KEY ou "
                                "DCC_AUDIT_PREVIOUS_KEYS ne la contient pas")
    if not hmac.compare_digest(keyed_digest(event, key), event.hash):
        raise _Broken(event.id, "contenu modifié (signature différente)")
    return kid


def _check_head(expected_prev: str, checked: int, last_id: int, ring: dict[str, str]) -> None:
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if checked:
            raise _Broken(last_id, "tête de chaîne absente")
        return
    if head.last_hash != expected_prev or head.count != checked:
        raise _Broken(head.last_event_id, "fin de chaîne manquante (des événements récents ont été supprimés)")
    if not checked:
        return
    key = ring.get(head.key_id)
    if not head.mac or key is None:
        raise _Broken(head.last_event_id, "tête de chaîne non signée ou signée avec une clé inconnue")
    if not hmac.compare_digest(keys.head_mac(key, head.last_event_id, head.count, head.last_hash), head.mac):
        raise _Broken(head.last_event_id, "tête de chaîne modifiée (signature différente)")


def verify_chain(batch_size: int = 5000, checkpoints: list | None = None, since=None) -> VerifyResult:
    """Walk the chain in order; report the first event whose content, link, key or checkpoint does not match.
    `checkpoints`: signed heads read from outside the database (`checkpoints.read`), each checked in passing.
    `since`: one of them, trusted as the start (incremental check): its event must still carry the signed hash and
    content, with as many events up to it as it attests; only the events after it are walked."""
    ring = keyring()
    pending = sorted(checkpoints or [], key=lambda cp: cp.last_event_id)
    result = VerifyResult(ok=True, checked=0, checkpoints=len(pending))
    expected_prev, last_id, seen_keyed = GENESIS, 0, False
    try:
        if since is not None:
            pending = [cp for cp in pending if cp.last_event_id > since.last_event_id]
            result.checkpoints = 1 + len(pending)
            expected_prev, last_id, seen_keyed = _start_at(since, ring, result)
        while True:
            batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
            if not batch:
                break
            for event in batch:
                if event.prev_hash != expected_prev:
                    raise _Broken(event.id, "lien rompu (un événement précédent a été supprimé ou modifié)")
                kid = _check_event(event, ring, seen_keyed)
                if kid is None:
                    result.legacy += 1
                else:
                    seen_keyed = True
                    result.key_ids.add(kid)
                expected_prev, last_id = event.hash, event.id
                result.checked += 1
                while pending and pending[0].last_event_id <= event.id:
                    pending.pop(0).check(event, result.checked)
        _check_head(expected_prev, result.checked, last_id, ring)
        for checkpoint in pending:
            checkpoint.check(None, result.checked)
    except _Broken as broken:
        result.ok, result.first_bad_id, result.problem = False, broken.event_id, broken.problem
    return result


def _start_at(since, ring: dict[str, str], result: VerifyResult) -> tuple[str, int, bool]:
    """The walk's starting point at a signed checkpoint: its event checked (content, signed hash) and the events up
    to it counted (a deletion before it shows as a wrong count). The events before it are not re-read: a content
    rewritten before the checkpoint is found only by the full walk."""
    event = AuditEvent.objects.filter(pk=since.last_event_id).first()
    before = AuditEvent.objects.filter(pk__lte=since.last_event_id).count()
    since.check(event, before)
    kid = _check_event(event, ring, seen_keyed=False)
    if kid is not None:
        result.key_ids.add(kid)
    result.checked = before
    result.since = since
    return event.hash, event.id, kid is not None


def broken(event_id: int | None, problem: str) -> _Broken:
    """The failure a checkpoint raises during the walk."""
    return _Broken(event_id, problem)
