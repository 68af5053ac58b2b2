"""Care plans (PPS): creation from a validated fiche, editing with optimistic locking, validation, hand-over,
versions with an update reason, access and audit."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action
from oncodcc.careplans import services
from oncodcc.careplans.models import CarePlan, Contact
from oncodcc.careplans.services import CarePlanInput, CarePlanValidationError
from oncodcc.core.locking import ConcurrentEditError
from oncodcc.patients.selectors import ACTION_LABELS
from oncodcc.rcp.models import ProposedTreatment
from tests import factories as f


@pytest.fixture
def fiche(held_meeting, registration, member_doctor):
    """A validated fiche of a held meeting: first line radiotherapy + hormonotherapy (FRCP C547), an alternative,
    and a supportive-care proposal that is not a PPS treatment type."""
    gp = f.PractitionerFactory(specialty="G15_10/SM26", phone="02 41 00 00 00")
    patient = registration.patient
    patient.gp = gp
    patient.save()
    board = held_meeting.board
    board.managing_3c.phone = "02 41 11 11 11"
    board.managing_3c.save()
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    ProposedTreatment.objects.create(fiche=fiche, sequence=3, code="C15747", detail="Soins de support")
    ProposedTreatment.objects.create(fiche=fiche, sequence=1, code="C15632", is_alternative=True)
    return f.mark_validated(fiche, by=member_doctor)


@pytest.fixture
def plan(fiche, member_doctor):
    return services.create_from_fiche(actor=member_doctor, fiche=fiche, referring_doctor=member_doctor.practitioner)


def actions(plan) -> list[str]:
    return list(AuditEvent.objects.filter(patient_id=plan.patient_id, action__startswith="careplan.")
                .order_by("id").values_list("action", flat=True))


def test_create_from_validated_fiche(plan, fiche, member_doctor):
    assert plan.kind == CarePlan.Kind.PPS and plan.status == CarePlan.Status.DRAFT
    assert plan.version_number == 1 and plan.fiche == fiche and plan.patient == fiche.patient
    assert plan.rcp_date == fiche.registration.meeting.local_start.date()
    # First-line treatments mapped to the PPS value set (FRCP hormonotherapy C547 -> PPS C15445); supportive care
    # and the alternative are left out.
    assert [(t.code, t.comment) for t in plan.treatments.all()] == [
        ("C15313", "Radiothérapie adjuvante"), ("C15445", "Hormonothérapie 5 ans")]
    contacts = list(plan.contacts.all())
    assert [c.role for c in contacts] == [Contact.Role.CCC, Contact.Role.REFERRING, Contact.Role.GP]
    assert contacts[0].name == fiche.registration.meeting.board.managing_3c.name
    assert contacts[0].phone == "02 41 11 11 11"
    assert contacts[2].practitioner == fiche.patient.gp
    assert actions(plan) == [Action.CAREPLAN_CREATE]
    # Asking again returns the same draft.
    again = services.create_from_fiche(actor=member_doctor, fiche=fiche)
    assert again.pk == plan.pk


def test_create_refuses_a_draft_fiche(registration, member_doctor):
    fiche = f.complete_fiche(registration, created_by=member_doctor)
    with pytest.raises(CarePlanValidationError) as exc:
        services.create_from_fiche(actor=member_doctor, fiche=fiche)
    assert "fiche RCP validée" in exc.value.message_dict["fiche"][0]


def test_outsider_is_refused(fiche, plan, outsider):
    with pytest.raises(PermissionDenied):
        services.create_from_fiche(actor=outsider, fiche=fiche)
    with pytest.raises(PermissionDenied):
        services.update(actor=outsider, plan=plan, expected_version=plan.lock_version,
                        data=CarePlanInput(fields={"comment": "x"}))
    with pytest.raises(PermissionDenied):
        services.view(actor=outsider, plan=plan)
    with pytest.raises(PermissionDenied):
        services.validate(actor=outsider, plan=plan)
    assert actions(plan) == [Action.CAREPLAN_CREATE]


def test_update_and_optimistic_locking(plan, member_doctor, coordinator):
    v0 = plan.lock_version
    plan = services.update(actor=member_doctor, plan=plan, expected_version=v0, data=CarePlanInput(
        fields={"supportive_care": ["ORG-035", "ORG-036"], "supportive_care_comment": "Consultation douleur",
                "socio_support": ["PAT-024"], "follow_up": ["MED-092"], "follow_up_text": "Mammographie annuelle"},
        treatments=[{"code": "C15313", "start_date": date(2026, 11, 2), "end_date": date(2026, 12, 4),
                     "rhythm": "5 séances par semaine", "place": "CHU"},
                    {"code": "C15445", "at_home": True, "administration": "Per os", "start_date": date(2026, 12, 10)}],
    ))
    assert plan.lock_version == v0 + 1
    plan.refresh_from_db()
    assert plan.supportive_care == ["ORG-035", "ORG-036"]
    assert [t.at_home for t in plan.treatments.all()] == [False, True]
    # A second writer still at v0 gets a conflict describing what changed meanwhile.
    with pytest.raises(ConcurrentEditError) as exc:
        services.update(actor=coordinator, plan=plan, expected_version=v0,
                        data=CarePlanInput(fields={"comment": "Autre saisie"}))
    assert exc.value.current_version == v0 + 1
    assert "comment" in exc.value.changes and "supportive_care" not in exc.value.changes
    assert actions(plan) == [Action.CAREPLAN_CREATE, Action.CAREPLAN_UPDATE]


def test_update_rejects_unknown_codes(plan, member_doctor):
    with pytest.raises(CarePlanValidationError) as exc:
        services.update(actor=member_doctor, plan=plan, expected_version=plan.lock_version, data=CarePlanInput(
            fields={"supportive_care": ["NOPE"]}, treatments=[{"code": "C547"}]))
    assert set(exc.value.message_dict) == {"supportive_care", "treatments.1.code"}


def test_validation_messages(fiche, member_doctor):
    plan = services.create_from_fiche(actor=member_doctor, fiche=fiche)
    services.update(actor=member_doctor, plan=plan, expected_version=plan.lock_version, data=CarePlanInput(
        fields={"all_treatments_stopped": False}, treatments=[]))
    plan.refresh_from_db()
    plan.handed_over_at = plan.rcp_date - timedelta(days=1)
    plan.save()
    with pytest.raises(CarePlanValidationError) as exc:
        services.validate(actor=member_doctor, plan=plan)
    errors = exc.value.message_dict
    assert errors["referring_doctor"] == ["Indiquez le médecin référent."]
    assert "programme thérapeutique est vide" in errors["treatments"][0]
    assert "ne peut pas précéder la date de la RCP" in errors["handed_over_at"][0]
    # Stopping all active treatments is a valid programme (with its date).
    plan.refresh_from_db()
    services.update(actor=member_doctor, plan=plan, expected_version=plan.lock_version, data=CarePlanInput(
        fields={"all_treatments_stopped": True, "treatments_stopped_on": plan.rcp_date,
                "referring_doctor": member_doctor.practitioner}))
    plan.refresh_from_db()
    plan.handed_over_at = None
    plan.save()
    plan = services.validate(actor=member_doctor, plan=plan)
    assert plan.status == CarePlan.Status.VALIDATED and plan.validated_by == member_doctor


def test_validate_hand_over_and_new_version(plan, member_doctor):
    plan = services.validate(actor=member_doctor, plan=plan)
    assert plan.status == CarePlan.Status.VALIDATED
    with pytest.raises(CarePlanValidationError):
        services.update(actor=member_doctor, plan=plan, expected_version=plan.lock_version,
                        data=CarePlanInput(fields={"comment": "x"}))
    with pytest.raises(CarePlanValidationError) as exc:
        services.hand_over(actor=member_doctor, plan=plan, date=plan.rcp_date - timedelta(days=3),
                           by=member_doctor.practitioner)
    assert "précéder la date de la RCP" in exc.value.message_dict["handed_over_at"][0]
    plan = services.hand_over(actor=member_doctor, plan=plan, date=timezone.localdate(),
                              by=member_doctor.practitioner)
    assert plan.handed_over_at == timezone.localdate()

    with pytest.raises(CarePlanValidationError) as exc:
        services.new_version(actor=member_doctor, plan=plan, reason_code="")
    assert "motif" in exc.value.message_dict["update_reason"][0]
    v2 = services.new_version(actor=member_doctor, plan=plan, reason_code="MED-560",
                              reason_text="Ajout d'une chimiothérapie")
    assert (v2.set_id, v2.version_number, v2.status) == (plan.set_id, 2, CarePlan.Status.DRAFT)
    assert v2.update_reason == "MED-560" and v2.update_reason_label.startswith("Réajustement")
    assert [t.code for t in v2.treatments.all()] == [t.code for t in plan.treatments.all()]
    assert v2.contacts.count() == plan.contacts.count()
    assert v2.handed_over_at is None  # a new version is handed over again
    with pytest.raises(CarePlanValidationError):
        services.new_version(actor=member_doctor, plan=plan, reason_code="GEN-176")  # already one draft

    # The reason is mandatory from version 2.
    services.update(actor=member_doctor, plan=v2, expected_version=v2.lock_version,
                    data=CarePlanInput(fields={"update_reason": ""}))
    with pytest.raises(CarePlanValidationError) as exc:
        services.validate(actor=member_doctor, plan=v2)
    assert "obligatoire à partir de la version 2" in exc.value.message_dict["update_reason"][0]
    v2.refresh_from_db()
    services.update(actor=member_doctor, plan=v2, expected_version=v2.lock_version,
                    data=CarePlanInput(fields={"update_reason": "MED-560"}))
    v2 = services.validate(actor=member_doctor, plan=v2)
    plan.refresh_from_db()
    assert plan.status == CarePlan.Status.SUPERSEDED and v2.status == CarePlan.Status.VALIDATED
    services.view(actor=member_doctor, plan=v2)
    assert actions(plan) == [
        Action.CAREPLAN_CREATE, Action.CAREPLAN_VALIDATE, Action.CAREPLAN_HANDOVER, Action.CAREPLAN_NEW_VERSION,
        Action.CAREPLAN_UPDATE, Action.CAREPLAN_UPDATE, Action.CAREPLAN_VALIDATE, Action.CAREPLAN_VIEW]
    assert all(a in ACTION_LABELS for a in actions(plan))
