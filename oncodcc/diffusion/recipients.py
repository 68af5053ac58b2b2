"""Who receives a document (docs/diffusion.md):

- the DPI of every hospital that knows the patient (an IPP under its OID) and of the requesting and presenting
  doctors' hospitals, when the hospital has an active Receiver;
- the requesting doctor, the presenting doctor, the GP (and a PPS's referring doctor) by MSSanté, when they have
  an MSSanté address (directory.Practitioner.email, "messagerie (MSSanté)"), sent from the 3C's MSSanté address
  or DCC_MSSANTE_FROM;
- the DMP, when the patient's INS is qualified and the patient has not objected.

Only documents with a CDA R2 rendering are diffused (every generated document has one: the PPAC, without a
national volet, as a level-1 CDA). A withdrawal goes to those that had the document set, whatever the rules say
now (`earlier_recipients`): a hospital whose receiver was switched off, or a patient who objected to the DMP since,
still get the cancellation of what they hold."""

from dataclasses import dataclass

from django.conf import settings

from oncodcc.documents.models import Document, Rendering
from oncodcc.patients.models import IdentityStatus, PatientIdentifier

from .models import Delivery, Receiver


@dataclass(frozen=True)
class Recipient:
    channel: str
    key: str
    label: str
    receiver: Receiver | None = None
    address: str = ""
    sender: str = ""


def _registration(document: Document):
    if document.fiche_id:
        return document.fiche.registration
    plan = document.care_plan
    if plan is not None and plan.fiche_id:
        return plan.fiche.registration
    return None


def board_of(document: Document):
    """The board whose work produced the document (fiche, or the fiche a PPS implements), or None."""
    registration = _registration(document)
    return registration.meeting.board if registration is not None else None


def _doctors(document: Document) -> list:
    registration = _registration(document)
    doctors = []
    if registration is not None:
        doctors += [registration.requesting_doctor, registration.presenting_doctor]
    if document.care_plan_id:
        doctors.append(document.care_plan.referring_doctor)
    doctors.append(document.patient.gp)
    seen, unique = set(), []
    for doctor in doctors:
        if doctor is not None and doctor.pk not in seen:
            seen.add(doctor.pk)
            unique.append(doctor)
    return unique


def _hospital_ids(document: Document) -> list[int]:
    ids = list(PatientIdentifier.objects.filter(patient_id=document.patient_id, organisation__isnull=False)
               .values_list("organisation_id", flat=True))
    registration = _registration(document)
    if registration is not None:
        for doctor in (registration.requesting_doctor, registration.presenting_doctor):
            if doctor is not None:
                ids += list(doctor.organisations.values_list("pk", flat=True))
    return list(dict.fromkeys(ids))


def mssante_sender(document: Document) -> str:
    board = board_of(document)
    ccc = board.managing_3c if board is not None else None
    return (ccc.mssante_sender if ccc is not None else "") or getattr(settings, "DCC_MSSANTE_FROM", "")


def has_cda(document: Document) -> bool:
    return document.renderings.filter(format=Rendering.Format.CDA).exists()


def dpi_recipients(document: Document, *, organisation_ids=None) -> list[Recipient]:
    ids = _hospital_ids(document) if organisation_ids is None else organisation_ids
    receivers = Receiver.objects.filter(active=True, organisation_id__in=ids).select_related("organisation")
    return [Recipient(Delivery.Channel.DPI, f"dpi:{r.pk}", f"DPI — {r.organisation.name}", receiver=r)
            for r in receivers.order_by("organisation__name", "pk")]


def recipients_for(document: Document) -> list[Recipient]:
    if document.kind == Document.Kind.RECEIVED or not has_cda(document):
        return []
    found = dpi_recipients(document)
    sender = mssante_sender(document)
    addresses = set()
    for doctor in _doctors(document):
        address = (doctor.email or "").strip().lower()
        if address and address not in addresses:
            addresses.add(address)
            found.append(Recipient(Delivery.Channel.MSSANTE, f"mssante:{address}", f"{doctor} (MSSanté)",
                                   address=address, sender=sender))
    patient = document.patient
    if (patient.identity_status == IdentityStatus.QUALIFIED and patient.ins_matricule
            and not patient.dmp_opposition):
        found.append(Recipient(Delivery.Channel.DMP, "dmp", "DMP (Mon espace santé)"))
    return found


def earlier_recipients(document: Document) -> list[Recipient]:
    """The recipients that were sent a version of this document set (the latest delivery to each)."""
    found: dict[str, Recipient] = {}
    for d in (Delivery.objects.filter(set_id=document.set_id).exclude(action=Delivery.Action.DELETE)
              .select_related("receiver").order_by("-sequence")):
        found.setdefault(d.recipient_key, Recipient(channel=d.channel, key=d.recipient_key, label=d.recipient_label,
                                                    receiver=d.receiver, address=d.mssante_address,
                                                    sender=d.mssante_sender))
    return list(found.values())
