"""The interface between the outbox and the channels (DPI, MSSanté, DMP).

The outbox builds an OutgoingDocument from a stored document (no ORM object inside) and hands it to a channel,
which answers an Outcome: delivered, retry (transient: the receiver is down, a timeout) or error (refused).
"""

from dataclasses import dataclass
from typing import Literal

Action = Literal["new", "replace", "delete"]


@dataclass(frozen=True)
class OutgoingDocument:
    """What every channel sends: built by the outbox from a stored document (no ORM object inside)."""
    document_id: int              # documents.Document pk
    set_id: str                   # CDA setId (uuid)
    version_number: int
    kind: str                     # "frcp" | "pps" | "ppac"
    type_code: str                # LOINC
    title: str
    action: Action                # new / replace (a new version) / delete (withdrawn)
    cda: bytes                    # the CDA R2 XML as stored (must pass the ANS kit)
    pdf: bytes | None             # the PDF/A rendering, when any
    patient_ins: str              # "" when none; the matricule
    patient_ins_oid: str
    patient_ins_qualified: bool   # identity status QUAL
    replaced_document_id: str = ""  # the CDA id of the version replaced (for replace), "" otherwise


@dataclass(frozen=True)
class Outcome:
    state: Literal["delivered", "retry", "error"]   # retry: transient (down, timeout); error: refused (AE/AR, SOAP fault, 5xx permanent…)
    detail: str = ""                               # French, short, shown in the Diffusion panel
    request: bytes = b""                           # raw payload sent (kept in the attempt log)
    response: bytes = b""                          # raw answer received
