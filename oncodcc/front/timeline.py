"""The patient's timeline: RCP registrations, fiches RCP (every version) and, when the caller passes them, the
received pathology and molecular reports, newest first.

Two queries whatever the size of the history (no per-entry query; reports come already loaded with the record's
documents). The caller has already checked and audited the access to the patient (selectors.get_patient)."""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from oncodcc.patients.models import Patient
from oncodcc.rcp.models import Fiche, Registration

REGISTRATION = "registration"
FICHE = "fiche"
REPORT = "report"


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # REGISTRATION, FICHE or REPORT
    pk: int
    when: datetime  # meeting start for a registration; validation (else creation) for a fiche
    url: str
    status: str
    status_label: str
    board_name: str
    meeting_at: datetime
    registration_id: int
    # registration
    question: str = ""
    requesting_doctor: str = ""
    presenting_doctor: str = ""
    # fiche
    version_number: int | None = None
    validated_at: datetime | None = None
    signer_name: str = ""
    # received report
    type_label: str = ""
    sender_name: str = ""
    author_label: str = ""

    @property
    def is_registration(self) -> bool:
        return self.kind == REGISTRATION

    @property
    def is_fiche(self) -> bool:
        return self.kind == FICHE

    @property
    def is_report(self) -> bool:
        return self.kind == REPORT


def _registration_entries(patient: Patient) -> list[TimelineEntry]:
    registrations = (
        Registration.objects.filter(patient_id=patient.pk)
        .select_related("meeting__board", "requesting_doctor", "presenting_doctor")
        .order_by()
    )
    labels = dict(Registration.Status.choices)
    return [
        TimelineEntry(
            kind=REGISTRATION, pk=r.pk, when=r.meeting.starts_at,
            url=reverse("rcp:registration_detail", args=[r.pk]),
            status=r.status, status_label=str(labels.get(r.status, r.status)),
            board_name=r.meeting.board.name, meeting_at=r.meeting.starts_at, registration_id=r.pk,
            question=r.question, requesting_doctor=str(r.requesting_doctor),
            presenting_doctor=str(r.presenting_doctor),
        )
        for r in registrations
    ]


def _fiche_entries(patient: Patient, *, drafts: bool) -> list[TimelineEntry]:
    fiches = Fiche.objects.filter(patient_id=patient.pk)
    if not drafts:
        fiches = fiches.exclude(status=Fiche.Status.DRAFT)
    fiches = (
        fiches
        .select_related("registration__meeting__board")
        .only(
            "id", "version_number", "status", "validated_at", "signer_name", "created_at", "registration_id",
            "registration__meeting__starts_at", "registration__meeting__board__name",
        )
        .order_by()
    )
    labels = dict(Fiche.Status.choices)
    entries = []
    for fiche in fiches:
        meeting = fiche.registration.meeting
        entries.append(TimelineEntry(
            kind=FICHE, pk=fiche.pk, when=fiche.validated_at or fiche.created_at,
            url=reverse("rcp:fiche_detail", args=[fiche.pk]),
            status=fiche.status, status_label=str(labels.get(fiche.status, fiche.status)),
            board_name=meeting.board.name, meeting_at=meeting.starts_at, registration_id=fiche.registration_id,
            version_number=fiche.version_number, validated_at=fiche.validated_at, signer_name=fiche.signer_name,
        ))
    return entries


def _report_entries(reports) -> list[TimelineEntry]:
    """Received reports (already loaded Documents): they link to their line in the record's "Documents reçus"."""
    return [
        TimelineEntry(
            kind=REPORT, pk=d.pk, when=d.effective_at or d.created_at, url=f"#document-{d.pk}",
            status=d.status, status_label="", board_name="", meeting_at=d.effective_at or d.created_at,
            registration_id=0, type_label=d.type_label, sender_name=str(d.sender or ""),
            author_label=d.author_label,
        )
        for d in reports
    ]


def patient_timeline(patient: Patient, *, reports=(), drafts: bool = True) -> list[TimelineEntry]:
    """Registrations and fiches of the patient (and the given received reports), newest first (a fiche after its
    registration on ties). `drafts` False: validated fiches only (a reader such as the GP)."""
    entries = _registration_entries(patient) + _fiche_entries(patient, drafts=drafts) + _report_entries(reports)
    entries.sort(key=lambda e: (e.when, e.kind == FICHE, e.version_number or 0, e.pk), reverse=True)
    return entries
