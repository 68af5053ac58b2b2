"""The demo region's DPI double (`dcc demo-receiver`): an MLLP receiver that stores every message it gets in
var/demo-receiver/<MSH-6>/ (one .hl7 file per message, written atomically) and answers AA. It files nothing in
the database: it stands for the hospitals' records. Refused outside demo mode."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from oncodcc.core.files import atomic_write
from oncodcc.interop.hl7v2 import ack
from oncodcc.interop.hl7v2.parsing import CHARSETS, read_header

_UNSAFE = re.compile(r"[^0-9A-Za-z_.-]+")


def directory() -> Path:
    return Path(settings.VAR_DIR) / "demo-receiver"


def _safe(value: str, default: str) -> str:
    return _UNSAFE.sub("_", value)[:60].strip("._") or default


def handle(payload: bytes, *, peer: str = "", channel=None) -> bytes:
    header = read_header(payload)
    if not header.usable:
        return ack.build(header, "AR", problem=ack.Problem("AR", ack.SEGMENT_SEQUENCE, header.problem, "MSH"))
    folder = directory() / _safe(header.receiving_facility, "inconnu")
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{timezone.now():%Y%m%dT%H%M%S%f}-{_safe(header.control_id, 'sans-id')}.hl7"
    atomic_write(folder / name, payload)
    return ack.build(header, "AA", codec=CHARSETS.get(header.charset, "utf-8"))


def received(facility: str = "") -> list[Path]:
    """The stored messages (of one receiving facility), oldest first."""
    root = directory() / _safe(facility, "inconnu") if facility else directory()
    return sorted(root.rglob("*.hl7")) if root.exists() else []


def register_demo_receivers(hospitals) -> int:
    """Each demo hospital's DPI is a receiver on the local demo receiver (DCC_DEMO_RECEIVER_PORT): validating a fiche
    in the demo shows « délivré » within seconds."""
    from .models import Receiver

    Receiver.objects.bulk_create([
        Receiver(organisation=h, host="127.0.0.1", port=settings.DCC_DEMO_RECEIVER_PORT, facility=h.finess)
        for h in hospitals])
    return len(hospitals)
