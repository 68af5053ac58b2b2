"""Reads of fiches RCP and of the meeting mode, with the authorization check and the access audit event.

`get_fiche` checks that the user may see the patient and records one FICHE_VIEW (or FICHE_PRINT) event;
`load_fiche` only checks (the caller's write records its own event). `meeting_mode_case` shows one case of a
meeting to the people who work in its board and records one REGISTRATION_VIEW event per case shown.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.documents import received
from oncodcc.documents.models import Document
from oncodcc.patients.policy import EDIT, AccessDenied, has_permission, require, works_on
from oncodcc.terminology import valuesets as vs

from ..models import Fiche, Meeting, ProposedTreatment, Registration
from ..policy import RUN_MEETING, VIEW_CASES, VIEW_FICHE
from .case_rows import CaseRow, case_rows

PREVIOUS_FICHES_SHOWN = 10


def _fiches() -> QuerySet[Fiche]:
    return Fiche.objects.select_related(
        "registration__meeting__board__managing_3c", "registration__requesting_doctor",
        "registration__presenting_doctor", "patient", "validated_by",
    ).prefetch_related("tumours", "treatments", "further_tests")


def _check(user, fiche: Fiche, purpose: str) -> None:
    # fiche.view: a validated fiche to whoever opens the record, a draft only to those who work on the case.
    require(user, VIEW_FICHE, fiche.patient, purpose=purpose, obj=fiche, target=fiche)


def load_fiche(*, user, fiche_id: int, purpose: str = Action.FICHE_UPDATE) -> Fiche:
    """The fiche if the user may see its patient (Fiche.DoesNotExist or AccessDenied); no access event:
    the write that follows records its own. A refusal is audited."""
    fiche = _fiches().filter(pk=fiche_id).first()
    if fiche is None:
        raise Fiche.DoesNotExist
    _check(user, fiche, purpose)
    return fiche


def get_fiche(*, user, fiche_id: int, purpose: str = Action.FICHE_VIEW) -> Fiche:
    """A fiche for display (FICHE_VIEW) or printing (FICHE_PRINT): access check and one audit event."""
    fiche = load_fiche(user=user, fiche_id=fiche_id, purpose=purpose)
    audit.record(actor=user, action=purpose, patient=fiche.patient, obj=fiche,
                 details={"set_id": str(fiche.set_id), "version": fiche.version_number})
    return fiche


def fiche_versions(fiche: Fiche) -> list[Fiche]:
    """Every version of the document (same set_id), newest first."""
    return list(
        Fiche.objects.filter(set_id=fiche.set_id).select_related("validated_by")
        .only("pk", "set_id", "version_number", "status", "validated_at", "signer_name", "correction_reason",
              "created_at", "validated_by")
        .order_by("-version_number")
    )


def can_edit(user, fiche: Fiche) -> bool:
    return has_permission(user, EDIT, fiche.patient)


MOTIVES = ("motive_diagnostic", "motive_treatment", "motive_recourse", "motive_paediatric")


@dataclass
class FicheView:
    """What the read templates need beyond the fiche: labels computed once (never typed in a template)."""

    fiche: Fiche
    first_line: list[ProposedTreatment]
    alternatives: list[ProposedTreatment]
    motives: list[str]
    organs: list[str]
    care_types: list[str]
    surveillance_label: str
    has_proposal: bool


def fiche_view(fiche: Fiche) -> FicheView:
    treatments = list(fiche.treatments.all())
    return FicheView(
        fiche=fiche,
        first_line=[t for t in treatments if not t.is_alternative],
        alternatives=[t for t in treatments if t.is_alternative],
        motives=[str(Fiche._meta.get_field(name).verbose_name) for name in MOTIVES if getattr(fiche, name)],
        organs=[vs.label(vs.ORGAN, code) for code in fiche.organs or []],
        care_types=[vs.label(vs.CROSS_CUTTING_CARE, code) for code in fiche.care_types or []],
        surveillance_label=vs.label(vs.TREATMENT_TYPE, "MED-226"),
        has_proposal=bool(treatments or fiche.surveillance_only or fiche.recourse_referral
                          or list(fiche.further_tests.all())),
    )


@dataclass
class FichePage:
    fiche: Fiche
    view: FicheView
    versions: list[Fiche]
    can_edit: bool  # a draft: open the form
    can_correct: bool  # the validated latest version, no correction under way
    latest: Fiche | None  # the newest version when this one is not it


def fiche_page(*, user, fiche_id: int, purpose: str = Action.FICHE_VIEW) -> FichePage:
    fiche = get_fiche(user=user, fiche_id=fiche_id, purpose=purpose)
    versions = fiche_versions(fiche)
    editor = can_edit(user, fiche)
    has_draft = any(v.status == Fiche.Status.DRAFT for v in versions)
    if not (editor or works_on(user, fiche.patient)):  # an editor works on the case: no query more
        # A reader (the GP) sees the validated versions only: a correction under way is not theirs to see.
        versions = [v for v in versions if v.status != Fiche.Status.DRAFT]
    newest = versions[0] if versions else fiche
    return FichePage(
        fiche=fiche, view=fiche_view(fiche), versions=versions,
        can_edit=editor and fiche.is_editable,
        can_correct=editor and fiche.status == Fiche.Status.VALIDATED and newest.pk == fiche.pk and not has_draft,
        latest=newest if newest.pk != fiche.pk else None,
    )


def proposal_summary(fiche: Fiche) -> str:
    """One line for lists: the first-line treatments, then surveillance / recourse / further tests."""
    treatments = list(fiche.treatments.all())
    parts = [t.label for t in treatments if not t.is_alternative]
    if fiche.surveillance_only:
        parts.append(vs.label(vs.TREATMENT_TYPE, "MED-226"))
    if fiche.recourse_referral:
        parts.append(str(Fiche._meta.get_field("recourse_referral").verbose_name))
    alternatives = [t.label for t in treatments if t.is_alternative]
    summary = ", ".join(parts)
    if alternatives:
        summary += f" (alternative : {', '.join(alternatives)})" if summary else ", ".join(alternatives)
    return summary[:1].upper() + summary[1:]


def received_reports(patient_id: int) -> list[Document]:
    """Pathology (CR-ACP) and molecular (CR-GM) reports shown beside the fiche: two queries (the documents with
    their sender, their renderings) whatever their number. The caller has checked the access to the patient."""
    return list(received.reports_for([patient_id]))


# --- meeting mode ---

@dataclass
class MeetingModeCase:
    meeting: Meeting
    registration_ids: list[int]  # the ordered active cases
    position: int  # 1-based; 0 when the meeting has no case
    registration: Registration | None
    draft: Fiche | None  # the fiche being written (draft), if any
    validated: Fiche | None  # the current validated version, when there is no draft
    previous_fiches: list[Fiche] = field(default_factory=list)  # the patient's validated fiches of other passages
    # The patient's current pathology and molecular reports received from hospitals and labs, newest first.
    reports: list[Document] = field(default_factory=list)
    can_edit: bool = False
    runs_meeting: bool = False  # may open the meeting (staff or permanent member)
    cases: list[CaseRow] = field(default_factory=list)  # the case list beside the fiche

    @property
    def total(self) -> int:
        return len(self.registration_ids)

    @property
    def previous_position(self) -> int | None:
        return self.position - 1 if self.position > 1 else None

    @property
    def next_position(self) -> int | None:
        return self.position + 1 if self.position < self.total else None

    @property
    def fiche(self) -> Fiche | None:
        return self.draft or self.validated

    @property
    def view(self) -> FicheView | None:
        return fiche_view(self.fiche) if self.fiche else None


def meeting_mode_case(*, user, meeting_id: int, position: int) -> MeetingModeCase:
    """One case of a meeting, for the people who work in its board (AccessDenied otherwise).
    Meeting.DoesNotExist / Registration.DoesNotExist for an unknown meeting or a position out of range.
    The number of queries does not grow with the number of cases."""
    meeting = Meeting.objects.select_related("board__managing_3c", "location").get(pk=meeting_id)
    if not has_permission(user, VIEW_CASES, meeting.board_id):
        audit.record(actor=user, action=Action.ACCESS_DENIED, obj=meeting, details={"purpose": "meeting_mode"})
        raise AccessDenied("Le mode séance est réservé aux membres et au secrétariat de la RCP.")
    ids = list(
        meeting.registrations.filter(status__in=Registration.ACTIVE_STATUSES)
        .order_by("position", "id").values_list("pk", flat=True)
    )
    runs = has_permission(user, RUN_MEETING, meeting.board)
    if not ids and position == 1:
        return MeetingModeCase(meeting=meeting, registration_ids=[], position=0, registration=None, draft=None,
                               validated=None, runs_meeting=runs)
    if not 1 <= position <= len(ids):
        raise Registration.DoesNotExist
    registration = (
        Registration.objects.select_related("patient__gp", "requesting_doctor", "presenting_doctor")
        .get(pk=ids[position - 1])
    )
    registration.meeting = meeting
    fiches = list(_fiches().filter(registration=registration).exclude(status=Fiche.Status.SUPERSEDED)
                  .order_by("-version_number"))
    draft = next((f for f in fiches if f.status == Fiche.Status.DRAFT), None)
    validated = None if draft else next((f for f in fiches if f.status == Fiche.Status.VALIDATED), None)
    previous = list(
        Fiche.objects.filter(patient_id=registration.patient_id, status=Fiche.Status.VALIDATED)
        .exclude(registration=registration)
        .select_related("registration__meeting__board")
        .prefetch_related(Prefetch("treatments", queryset=ProposedTreatment.objects.all()))
        .order_by("-validated_at")[:PREVIOUS_FICHES_SHOWN]
    )
    for fiche in previous:
        fiche.proposal_summary = proposal_summary(fiche)
    reports = received_reports(registration.patient_id)
    audit.record(actor=user, action=Action.REGISTRATION_VIEW, patient=registration.patient, obj=registration,
                 details={"meeting_mode": True, "meeting": meeting.pk, "position": position})
    return MeetingModeCase(
        meeting=meeting, registration_ids=ids, position=position, registration=registration,
        draft=draft, validated=validated, previous_fiches=previous, reports=reports,
        can_edit=has_permission(user, EDIT, registration.patient), runs_meeting=runs,
        cases=case_rows(user=user, meeting=meeting, active_ids=ids),
    )
