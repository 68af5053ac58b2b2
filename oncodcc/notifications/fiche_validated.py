"""The email to the patient's doctors when a fiche RCP is validated: the requesting doctor, the presenting doctor
and the GP (médecin traitant). The body names neither the patient nor anything clinical (not even the board, whose
name tells the organ): only that a fiche was validated for one of their patients, and a link that requires
signing in."""

from django.template.loader import render_to_string
from django.urls import reverse

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.rcp.models import Fiche

from . import outbox, recipients
from .models import Notification

ROLE_LABELS = {"requesting": "médecin demandeur", "presenting": "médecin présentateur", "gp": "médecin traitant"}


def _roles_by_practitioner(fiche: Fiche) -> dict[int, tuple[object, list[str]]]:
    registration = fiche.registration
    found: dict[int, tuple[object, list[str]]] = {}
    for role, practitioner in (("requesting", registration.requesting_doctor),
                               ("presenting", registration.presenting_doctor), ("gp", fiche.patient.gp)):
        if practitioner is None:
            continue
        found.setdefault(practitioner.pk, (practitioner, []))[1].append(ROLE_LABELS[role])
    return found


def queue_for(fiche: Fiche, *, actor=None) -> list[Notification]:
    """Queue the emails of a validated fiche (inside the validation's transaction). Idempotent per fiche version
    and address: one email per address even when the same doctor holds several roles."""
    fiche = Fiche.objects.select_related("registration__requesting_doctor", "registration__presenting_doctor",
                                         "patient__gp").get(pk=fiche.pk)
    doctors = _roles_by_practitioner(fiche)
    addresses = recipients.for_practitioners([practitioner for practitioner, _ in doctors.values()])
    link = recipients.site_link(reverse("rcp:fiche_detail", args=[fiche.pk]))
    by_address: dict[str, tuple[outbox.Recipient, list[str]]] = {}
    for practitioner_id, (_, roles) in doctors.items():
        recipient = addresses.get(practitioner_id)
        if recipient is not None:
            entry = by_address.setdefault(recipient.address.lower(), (recipient, []))
            entry[1].extend(r for r in roles if r not in entry[1])
    created = []
    subject = "OncoDCC : une fiche RCP a été validée pour un de vos patients"
    for address, (recipient, roles) in sorted(by_address.items()):
        body = render_to_string("notifications/email/fiche_validated.txt", {
            "link": link, "roles": roles, "correction": fiche.version_number > 1})
        notification = outbox.queue(kind=Notification.Kind.FICHE_VALIDATED, key=f"fiche:{fiche.pk}:{address}",
                                    recipient=recipient, subject=subject, body=body, fiche_id=fiche.pk)
        if notification is not None:
            created.append(notification)
    if created:
        outbox.send_after_commit()
        # How many were told and in which roles, never the addresses (an audit detail is no place for contact data).
        audit.record(actor=actor, action=Action.NOTIFICATION_FICHE_VALIDATED, patient=fiche.patient, obj=fiche,
                     details={"emails": len(created),
                              "roles": sorted({r for _, roles in by_address.values() for r in roles})})
    return created
