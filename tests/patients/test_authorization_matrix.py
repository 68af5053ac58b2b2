"""The authorization matrix, generated from the policy (core.policy registries): every role × every relation a user
can hold with a patient × every patient permission, then the same cells through the HTTP screens (record, fiche,
PPS, access history, meeting mode) and the search. A permission or a relation registered without a row here fails
`test_the_matrix_covers_the_policy`; any leaking cell fails its own test.

Every matrix user is linked to a practitioner, so that the clinical relations (care team, GP, board member, doctor
of a registration) are tried for administrators and the DPO too: they open a record to any role (an administrator
who is also the patient's doctor), while the case-work relations (creator, board secretariat, break-the-glass)
open it only to the roles that work on cases.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from oncodcc.accounts.models import Role
from oncodcc.audit.models import AuditEvent, BreakGlassAccess
from oncodcc.careplans.models import CarePlan
from oncodcc.core import policy
from oncodcc.patients import policy as patient_policy
from oncodcc.patients import selectors, services
from oncodcc.patients.models import CareTeamMember
from oncodcc.rcp.models import Registration
from tests import factories as f

ROLES = list(Role)
CASE_WORKERS = {Role.DOCTOR, Role.COORDINATOR, Role.SECRETARY}
ADMINISTRATORS = {Role.ADMIN_3C, Role.ADMIN_DSRC, Role.SYSADMIN}

# Relations registered by the apps (what each one gives is read from the registry: clinical or case-work) ...
# ... and the near misses that must open nothing (or only what their role's own rule gives).
NEAR_MISSES = ["none", "expired_break_glass", "withdrawn_registration", "administered_board", "other_board"]


def _setup(user, relation: str):
    """A patient registered on a board, the fiche of that registration, a PPS; and the user's relation."""
    patient = f.PatientFactory()
    board = f.BoardFactory()
    registration = f.RegistrationFactory(patient=patient, meeting=f.MeetingFactory(board=board))
    author = f.DoctorFactory()
    fiche = f.complete_fiche(registration, created_by=author)
    f.mark_validated(fiche, by=author)
    plan = CarePlan.objects.create(patient=patient, fiche=fiche, kind=CarePlan.Kind.PPS, created_by=author,
                                   status=CarePlan.Status.VALIDATED, validated_at=timezone.now())
    if relation == "care_team":
        CareTeamMember.objects.create(patient=patient, practitioner=user.practitioner)
    elif relation == "gp":
        patient.gp = user.practitioner
        patient.save()
    elif relation == "creator":
        patient.created_by = user
        patient.save()
    elif relation in {"break_glass", "expired_break_glass"}:
        expires = timezone.now() + (timedelta(hours=2) if relation == "break_glass" else timedelta(minutes=-1))
        BreakGlassAccess.objects.create(user=user, patient=patient, reason="Urgence : patient hospitalisé la nuit",
                                        expires_at=expires)
    elif relation in {"board_member", "withdrawn_registration"}:
        f.add_member(board, user.practitioner)
        if relation == "withdrawn_registration":
            registration.status = Registration.Status.WITHDRAWN
            registration.save()
    elif relation == "board_staff":
        board.secretaries.add(user)
    elif relation == "registration_doctor":
        registration.requesting_doctor = user.practitioner
        registration.save()
    elif relation == "administered_board":
        user.organisation = board.managing_3c.parent if user.role == Role.ADMIN_DSRC else board.managing_3c
        user.save()
    elif relation == "other_board":
        f.add_member(f.BoardFactory(), user.practitioner)
    return patient, registration, fiche, plan


SETUPS = {*NEAR_MISSES, "care_team", "gp", "creator", "break_glass", "board_member", "board_staff",
          "registration_doctor"}


def opens_record(role: str, relation: str) -> bool:
    registered = policy.patient_relations()
    if relation in registered:
        return registered[relation].clinical or role in CASE_WORKERS
    # The 3C's secretaries and coordinators handle the cases of its boards (rcp.policy, board_staff).
    return relation == "administered_board" and role in {Role.SECRETARY, Role.COORDINATOR}


def works_on_case(role: str, relation: str) -> bool:
    """Drafts and writes: a record opened through a reading relation (the GP's) gives validated documents only."""
    registered = policy.patient_relations()
    return opens_record(role, relation) and not (relation in registered and registered[relation].reading)


def expected(permission: str, role: str, relation: str) -> bool:
    record = opens_record(role, relation)
    return {
        patient_policy.VIEW_RECORD: record,
        patient_policy.EDIT: works_on_case(role, relation) and role in CASE_WORKERS,
        patient_policy.VIEW_IDENTITY: record or role in {Role.DPO, Role.ADMIN_DSRC, Role.SYSADMIN},
        patient_policy.VIEW_HISTORY: role == Role.DPO or relation in {"care_team", "gp"},
        patient_policy.CREATE: role in CASE_WORKERS,
        patient_policy.REGISTER: role in CASE_WORKERS,
        patient_policy.BREAK_GLASS: role in CASE_WORKERS,
        patient_policy.REVIEW_IDENTITIES: role in {Role.ADMIN_DSRC, Role.SYSADMIN},
        patient_policy.SEARCH_IDENTITIES: role == Role.DPO,
        patient_policy.AUDIT_BREAK_GLASS: role == Role.DPO,
    }[permission]


PATIENT_PERMISSIONS = [name for name in policy.permissions() if name.startswith("patient.")]
RELATIONS = sorted(SETUPS)
CELLS = [(role, relation) for role in ROLES for relation in RELATIONS]


def test_the_matrix_covers_the_policy():
    assert set(policy.patient_relations()) <= SETUPS, "a relation was registered without a matrix row"
    for name in PATIENT_PERMISSIONS:
        expected(name, Role.DOCTOR, "none")  # KeyError: a permission without an expected column


def make_user(role: str):
    return f.DoctorFactory(role=role, is_staff=role in ADMINISTRATORS)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "relation"), CELLS, ids=[f"{r.value}-{rel}" for r, rel in CELLS])
def test_matrix(role, relation, client):
    user = make_user(role)
    patient, registration, fiche, plan = _setup(user, relation)
    record = opens_record(role, relation)

    for name in PATIENT_PERMISSIONS:
        assert policy.has_permission(user, name, patient) is expected(name, role, relation), name
    assert patient_policy.accessible_patients(user).filter(pk=patient.pk).exists() is record

    # The selector refuses and audits the refusal in the patient's history, or allows and audits the view.
    if record:
        assert selectors.get_patient(user=user, patient_id=patient.pk) == patient
        assert AuditEvent.objects.filter(patient_id=patient.pk, actor_id=user.pk, action="patient.view").exists()
    else:
        with pytest.raises(policy.AccessDenied):
            selectors.get_patient(user=user, patient_id=patient.pk)
        assert AuditEvent.objects.filter(patient_id=patient.pk, actor_id=user.pk,
                                         action="patient.access_denied").exists()

    # A partial name never lists a patient one cannot open (the DPO sees identities only, for the history).
    results = selectors.search_patients(user=user, query=selectors.parse_query(patient.birth_name[:4]))
    assert (patient in results.accessible) is (record and role != Role.DPO)
    assert patient not in results.restricted
    assert (patient in results.identities) is (role == Role.DPO)

    # Every screen with the patient's clinical content agrees with the policy.
    client.force_login(user)
    status = 200 if record else 403
    assert client.get(f"/patients/{patient.pk}/").status_code == status
    assert client.get(f"/rcp/fiches/{fiche.pk}/").status_code == status
    assert client.get(f"/rcp/fiches/{fiche.pk}/impression/").status_code == status
    assert client.get(f"/pps/{plan.pk}/").status_code == status
    assert client.get(f"/api/v1/fiches/{fiche.pk}").status_code == status
    assert client.get(f"/rcp/inscriptions/{registration.pk}/").status_code == status
    # Drafts (a fiche, a PPS) only to those who work on the case: not through the GP's reading relation.
    draft_fiche = f.complete_fiche(registration, created_by=fiche.created_by)
    draft_plan = CarePlan.objects.create(patient=patient, fiche=fiche, kind=CarePlan.Kind.PPS,
                                         created_by=fiche.created_by)
    works = works_on_case(role, relation)
    assert policy.has_permission(user, "fiche.view", fiche) is record
    assert policy.has_permission(user, "careplan.view", plan) is record
    assert policy.has_permission(user, "fiche.view", draft_fiche) is works
    assert policy.has_permission(user, "careplan.view", draft_plan) is works
    assert client.get(f"/rcp/fiches/{draft_fiche.pk}/").status_code == (200 if works else 403)
    assert client.get(f"/pps/{draft_plan.pk}/").status_code == (200 if works else 403)
    history = client.get(f"/patients/{patient.pk}/acces/")
    assert history.status_code == (200 if expected(patient_policy.VIEW_HISTORY, role, relation) else 403)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_break_the_glass_is_for_case_roles_only(role):
    user = make_user(role)
    patient = f.PatientFactory()
    if role in CASE_WORKERS:
        services.break_the_glass(actor=user, patient=patient, reason="Patient vu aux urgences cette nuit, avis demandé")
        assert policy.has_permission(user, patient_policy.VIEW_RECORD, patient)
        event = AuditEvent.objects.get(action="patient.break_glass", patient_id=patient.pk)
        assert event.reason.startswith("Patient vu aux urgences")
    else:
        with pytest.raises(PermissionDenied):
            services.break_the_glass(actor=user, patient=patient, reason="Curiosité administrative non justifiée")
        assert not BreakGlassAccess.objects.exists()
        assert not policy.has_permission(user, patient_policy.VIEW_RECORD, patient)


@pytest.mark.django_db
def test_break_the_glass_needs_a_real_reason():
    user = make_user(Role.DOCTOR)
    patient = f.PatientFactory()
    with pytest.raises(ValidationError):
        services.break_the_glass(actor=user, patient=patient, reason="urgence")
    assert not BreakGlassAccess.objects.exists()
    assert not policy.has_permission(user, patient_policy.VIEW_RECORD, patient)


def test_unknown_permission_is_a_programming_error():
    with pytest.raises(LookupError):
        policy.has_permission(None, "patient.read_minds")


def test_access_denied_is_a_permission_denied():
    assert issubclass(policy.AccessDenied, PermissionDenied)
