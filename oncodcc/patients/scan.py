"""`dcc identity scan`: compare every active record (or those changed since a date) again with the candidate
search, by batches of records in primary-key order, each batch in its own transaction. A checkpoint file (the
last record done and the counts so far) makes an interrupted scan resumable (`--resume`); it goes when the scan
is complete. Records newly flagged DPOT get an audit event; identities never appear in the output."""

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.core.actors import SystemActor

from . import candidates, matching
from .incidents import POTENTIAL_DUPLICATE
from .models import Patient

BATCH = 500
ACTOR = SystemActor(label="dcc identity scan", role="batch")
NO_CANDIDATE = "none"


def checkpoint_path() -> Path:
    return Path(settings.VAR_DIR) / "identity_scan.json"


@dataclass
class ScanState:
    since: str | None = None  # ISO datetime
    after_id: int = 0
    counts: Counter = field(default_factory=Counter)  # best tier per record (matching.Tier or NO_CANDIDATE)
    flagged: int = 0  # records newly flagged DPOT by this scan

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"since": self.since, "after_id": self.after_id, "counts": dict(self.counts),
                                    "flagged": self.flagged}))

    @classmethod
    def load(cls, path: Path) -> "ScanState":
        data = json.loads(path.read_text())
        return cls(since=data["since"], after_id=int(data["after_id"]), counts=Counter(data["counts"]),
                   flagged=int(data["flagged"]))


def scan(state: ScanState, *, checkpoint: Path | None = None,
         progress: Callable[[ScanState, int], None] | None = None) -> ScanState:
    """Re-score the records after `state.after_id` (changed since `state.since`), updating `state`."""
    records = Patient.objects.filter(merged_into__isnull=True)
    if state.since:
        records = records.filter(updated_at__gte=datetime.fromisoformat(state.since))
    total = records.filter(pk__gt=state.after_id).count()
    while True:
        batch = list(records.filter(pk__gt=state.after_id).order_by("pk")[:BATCH])
        if not batch:
            break
        with transaction.atomic():
            for patient in batch:
                was_flagged = patient.is_potential_duplicate
                found = candidates.refresh(patient)
                state.counts[found[0].tier.value if found else NO_CANDIDATE] += 1
                if found and not was_flagged:
                    state.flagged += 1
                    audit.record(actor=ACTOR, action=Action.PATIENT_UPDATE, patient=patient, obj=patient,
                                 details={"identity_vigilance": "flagged_by_scan", "flag_added": POTENTIAL_DUPLICATE,
                                          "tier": found[0].tier.value, "score": found[0].score})
            state.after_id = batch[-1].pk
        if checkpoint is not None:
            state.save(checkpoint)
        if progress is not None:
            progress(state, total)
    if checkpoint is not None and checkpoint.exists():
        checkpoint.unlink()
    return state


TIER_ORDER = [*(t.value for t in matching.SHOWN_TIERS), NO_CANDIDATE]
