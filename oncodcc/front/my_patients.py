""""Mes patients en RCP" on a doctor's home page (issue 10): the patients whose GP they are, or whose active
registration names them (requesting or presenting doctor), that have a validated fiche RCP — each with its latest
validated proposal (date, board, proposal). Only patients the policy opens to them (`accessible_patients`); the
caller audits the list (one event per patient shown)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Q, Subquery

from oncodcc.patients.models import Patient
from oncodcc.patients.policy import accessible_patients
from oncodcc.rcp.models import Fiche, Registration
from oncodcc.rcp.selectors.fiches import proposal_summary

SHOWN = 20


@dataclass(frozen=True)
class PatientProposal:
    patient: Patient
    fiche: Fiche
    board_name: str
    validated_at: datetime
    proposal: str
    as_gp: bool  # the doctor is the patient's GP (else: named on a registration)


def my_patients_in_rcp(user) -> list[PatientProposal]:
    if not user.practitioner_id:
        return []
    named = Registration.objects.filter(
        Q(requesting_doctor_id=user.practitioner_id) | Q(presenting_doctor_id=user.practitioner_id),
        status__in=Registration.ACTIVE_STATUSES,
    ).values("patient_id")
    latest = (Fiche.objects.filter(patient_id=OuterRef("pk"), status=Fiche.Status.VALIDATED)
              .order_by("-validated_at", "-pk"))
    # Only the SHOWN most recent proposals are read (a GP may have thousands of patients): newest first, ties in
    # the order of names, as the list is shown.
    # The two relations read through their own indexes (patient.gp_id, the registration's doctors), then the
    # access rules on those patients only: ORed in one filter they made PostgreSQL read every patient.
    candidates = {*Patient.objects.filter(gp_id=user.practitioner_id).values_list("pk", flat=True),
                  *named.values_list("patient_id", flat=True)}
    patients = list(
        accessible_patients(user).filter(pk__in=candidates)
        .annotate(latest_fiche=Subquery(latest.values("pk")[:1]),
                  latest_validated_at=Subquery(latest.values("validated_at")[:1]))
        .exclude(latest_fiche=None)
        .order_by("-latest_validated_at", "birth_name", "first_birth_given_name", "pk")[:SHOWN]
    )
    fiches = (Fiche.objects.filter(pk__in=[p.latest_fiche for p in patients])
              .select_related("registration__meeting__board").prefetch_related("treatments").in_bulk())
    rows = [
        PatientProposal(
            patient=p, fiche=fiches[p.latest_fiche], board_name=fiches[p.latest_fiche].registration.meeting.board.name,
            validated_at=fiches[p.latest_fiche].validated_at, proposal=proposal_summary(fiches[p.latest_fiche]),
            as_gp=p.gp_id == user.practitioner_id,
        )
        for p in patients
    ]
    rows.sort(key=lambda r: r.validated_at, reverse=True)
    return rows[:SHOWN]
