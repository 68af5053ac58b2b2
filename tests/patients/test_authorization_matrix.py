"""Who may see a patient, as a matrix: role × relation to the patient × action. Any leaking cell fails.

Relations: none; creator of the record; care team; member/staff of a board where the patient is registered; of a board where the
patient WAS registered (withdrawn); of another board only; active break-the-glass; expired break-the-glass.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from oncodcc.accounts.models import Role
from oncodcc.audit.models import AuditEvent, BreakGlassAccess
from oncodcc.patients import access, selectors, services
from oncodcc.patients.models import CareTeamMember
from oncodcc.rcp.models import Registration
from tests import factories as f

ROLES = [Role.DOCTOR, Role.COORDINATOR, Role.SECRETARY, Role.ADMIN_3C, Role.ADMIN_DSRC, Role.DPO, Role.SYSADMIN]
RELATIONS = ["none", "creator", "care_team", "board", "former_board", "other_board", "break_glass", "expired_break_glass"]
CLINICAL = {Role.DOCTOR, Role.COORDINATOR}
WRITERS = {Role.DOCTOR, Role.COORDINATOR, Role.SECRETARY}
BOARD_RELATED = {Role.DOCTOR, Role.COORDINATOR, Role.SECRETARY, Role.ADMIN_3C, Role.ADMIN_DSRC}


def make_user(role: str):
    if role in CLINICAL:
        return f.DoctorFactory(role=role)
    return f.UserFactory(role=role, is_staff=role in {Role.ADMIN_3C, Role.ADMIN_DSRC, Role.SYSADMIN})


def relate_to_board(user, board) -> None:
    """Give the user the relation its role has with a board: member, secretary, 3C or DSRC staff."""
    if user.role in CLINICAL:
        f.add_member(board, user.practitioner, coordinator=user.role == Role.COORDINATOR)
    elif user.role == Role.SECRETARY:
        board.secretaries.add(user)
    elif user.role == Role.ADMIN_DSRC:
        user.organisation = board.managing_3c.parent
        user.save()
    else:  # 3C admin, and the DPO / sysadmin attached to the 3C: only the 3C admin gains access from it
        user.organisation = board.managing_3c
        user.save()


def setup_relation(user, relation: str):
    patient = f.PatientFactory()
    board = f.BoardFactory()
    registration = f.RegistrationFactory(patient=patient, meeting=f.MeetingFactory(board=board))
    if relation == "creator":
        patient.created_by = user
        patient.save()
    elif relation == "care_team" and user.practitioner_id:
        CareTeamMember.objects.create(patient=patient, practitioner=user.practitioner)
    elif relation in {"board", "former_board"}:
        relate_to_board(user, board)
        if relation == "former_board":
            registration.status = Registration.Status.WITHDRAWN
            registration.save()
    elif relation == "other_board":
        relate_to_board(user, f.BoardFactory(managing_3c=f.CccFactory()))
    elif relation in {"break_glass", "expired_break_glass"}:
        expires = timezone.now() + (timedelta(hours=2) if relation == "break_glass" else timedelta(minutes=-1))
        BreakGlassAccess.objects.create(user=user, patient=patient, reason="Urgence : patient hospitalisé la nuit",
                                        expires_at=expires)
    return patient


def expected_view(role: str, relation: str) -> bool:
    if relation == "creator":
        return role in WRITERS
    if relation == "care_team":
        return role in CLINICAL
    if relation in {"board", "former_board"}:
        return role in BOARD_RELATED
    return relation == "break_glass"


def expected_history(role: str, relation: str) -> bool:
    return role == Role.DPO or (relation == "care_team" and role in CLINICAL)


CELLS = [(role, relation) for role in ROLES for relation in RELATIONS]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "relation"), CELLS, ids=[f"{r}-{rel}" for r, rel in CELLS])
def test_matrix(role, relation, client):
    user = make_user(role)
    patient = setup_relation(user, relation)
    can_view = expected_view(role, relation)

    # rules / predicates
    assert access.can_view_patient(user, patient) is can_view
    assert user.has_perm("patients.view_patient_record", patient) is can_view
    assert access.can_edit_patient(user, patient) is (can_view and role in WRITERS)
    assert access.can_view_access_history(user, patient) is expected_history(role, relation)
    assert access.accessible_patients(user).filter(pk=patient.pk).exists() is can_view

    # selector: the record read is refused and audited as refused, or allowed and audited as a view
    if can_view:
        assert selectors.get_patient(user=user, patient_id=patient.pk) == patient
        assert AuditEvent.objects.filter(patient_id=patient.pk, actor_id=user.pk, action="patient.view").exists()
    else:
        with pytest.raises(access.AccessDenied):
            selectors.get_patient(user=user, patient_id=patient.pk)
        assert AuditEvent.objects.filter(patient_id=patient.pk, actor_id=user.pk, action="patient.access_denied").exists()

    # search by partial name never lists a patient one cannot open
    results = selectors.search_patients(user=user, query=selectors.parse_query(patient.birth_name[:4]))
    assert (patient in results.accessible) is can_view
    assert patient not in results.restricted

    # the HTTP record page agrees
    client.force_login(user)
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == (200 if can_view else 403)
    history = client.get(f"/patients/{patient.pk}/acces/")
    assert history.status_code == (200 if expected_history(role, relation) else 403)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_break_the_glass_is_for_care_roles_only(role):
    user = make_user(role)
    patient = f.PatientFactory()
    if role in WRITERS:
        services.break_the_glass(actor=user, patient=patient, reason="Patient vu aux urgences cette nuit, avis demandé")
        assert access.can_view_patient(user, patient)
        event = AuditEvent.objects.get(action="patient.break_glass", patient_id=patient.pk)
        assert event.reason.startswith("Patient vu aux urgences")
    else:
        with pytest.raises(PermissionDenied):
            services.break_the_glass(actor=user, patient=patient, reason="Curiosité administrative non justifiée")
        assert not access.can_view_patient(user, patient)


@pytest.mark.django_db
def test_break_the_glass_needs_a_real_reason():
    from django.core.exceptions import ValidationError

    user = make_user(Role.DOCTOR)
    patient = f.PatientFactory()
    with pytest.raises(ValidationError):
        services.break_the_glass(actor=user, patient=patient, reason="urgence")
    assert not BreakGlassAccess.objects.exists()
    assert not access.can_view_patient(user, patient)
