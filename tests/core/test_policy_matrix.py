"""The board and machine-client parts of the policy, as matrices generated from the registry: every `board.*`,
`meeting.*` and `fiche.*` permission for every role × relation to a board, and `client.read_patient` for every
kind of API client. A permission registered without a column here fails `test_every_permission_has_a_matrix`."""

import uuid

import pytest

from oncodcc.accounts.models import Role
from oncodcc.accounts.review_policy import REVIEW
from oncodcc.careplans import policy as careplan_policy
from oncodcc.careplans.models import CarePlan
from oncodcc.core import policy
from oncodcc.interop.smart import access as client_policy
from oncodcc.interop.smart.models import ApiClient
from oncodcc.patients.models import PatientIdentifier
from oncodcc.rcp import policy as rcp_policy
from oncodcc.rcp.models import Attendance, Fiche
from tests import factories as f

BOARD_RELATIONS = ["none", "member", "coordinator", "present_at_meeting", "secretary", "3c", "dsrc"]
CASE_WORKERS = {Role.DOCTOR, Role.COORDINATOR, Role.SECRETARY}


def expected_board(permission: str, role: str, relation: str) -> bool:
    member = relation in {"member", "coordinator"}
    administers = (relation == "3c" and role == Role.ADMIN_3C) or (relation == "dsrc" and role == Role.ADMIN_DSRC)
    # The 3C's secretaries and coordinators handle its boards' cases.
    case_work = (relation == "secretary" and role in CASE_WORKERS) or (
        relation == "3c" and role in {Role.SECRETARY, Role.COORDINATOR})
    organises = relation in {"secretary", "coordinator"} or administers
    return {
        rcp_policy.WORK_IN_BOARD: member or case_work or administers,
        rcp_policy.VIEW_CASES: member or case_work,
        rcp_policy.ORGANISE_BOARD: organises,
        rcp_policy.RUN_MEETING: organises or member,
        rcp_policy.SIGN_FICHE: relation in {"coordinator", "present_at_meeting"},
        # The matrix's fiche is a draft: those who work on its case (documents_matrix below: validated ones).
        rcp_policy.VIEW_FICHE: member or case_work,
    }[permission]


BOARD_PERMISSIONS = [n for n in policy.permissions() if n.split(".")[0] in {"board", "meeting", "fiche"}]
CLIENT_PERMISSIONS = [n for n in policy.permissions() if n.startswith("client.")]


def test_every_permission_has_a_matrix():
    for name in BOARD_PERMISSIONS:
        expected_board(name, Role.DOCTOR, "none")
    assert CLIENT_PERMISSIONS == [client_policy.READ_PATIENT]
    subjects = {name.split(".")[0] for name in policy.permissions()}
    # diffusion.*: the matrix of tests/diffusion/test_pages_and_commands.py (test_resend_matrix); infocentre.*: the
    # matrix of tests/infocentre/test_access.py; account_request.*: tests/accounts/test_request_policy_matrix.py; trial.*: tests/trials/test_prescreen_page.py;
    # imaging.*: tests/imaging/test_policy.py.
    assert subjects == {"patient", "board", "meeting", "fiche", "client", "admin", "account", "diffusion",
                        "infocentre", "document", "careplan", "account_request", "trial", "imaging"}, subjects
    # careplan.*: test_documents_matrix below; account.review: tests/accounts/test_access_review.py and
    # test_account_review_matrix below.
    assert [n for n in policy.permissions() if n.startswith("careplan.")] == [careplan_policy.VIEW_CAREPLAN]


CELLS = [(role, relation) for role in Role for relation in BOARD_RELATIONS]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "relation"), CELLS, ids=[f"{r.value}-{rel}" for r, rel in CELLS])
def test_board_matrix(role, relation):
    user = f.DoctorFactory(role=role)
    board = f.BoardFactory()
    meeting = f.MeetingFactory(board=board)
    registration = f.RegistrationFactory(meeting=meeting)
    fiche = f.complete_fiche(registration, created_by=f.DoctorFactory())
    if relation in {"member", "coordinator"}:
        f.add_member(board, user.practitioner, coordinator=relation == "coordinator")
    elif relation == "present_at_meeting":
        Attendance.objects.create(meeting=meeting, practitioner=user.practitioner)
    elif relation == "secretary":
        board.secretaries.add(user)
    elif relation == "3c":
        user.organisation = board.managing_3c
        user.save()
    elif relation == "dsrc":
        user.organisation = board.managing_3c.parent
        user.save()
    for name in BOARD_PERMISSIONS:
        obj = fiche if name.startswith("fiche.") else board
        assert policy.has_permission(user, name, obj) is expected_board(name, role, relation), name


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["knows_by_ipp", "sent_a_document", "regional", "other_hospital"])
def test_client_matrix(kind):
    patient = f.PatientFactory()
    hospital = f.OrganisationFactory()
    other = f.OrganisationFactory()
    organisation = {"regional": None, "other_hospital": other}.get(kind, hospital)
    client = ApiClient.objects.create(name=f"Client {kind}", organisation=organisation, scopes="system/*.read")
    if kind in {"knows_by_ipp", "other_hospital"}:
        PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP1", organisation=hospital)
    elif kind == "sent_a_document":
        from oncodcc.documents.models import Document

        Document.objects.create(patient=patient, sender=hospital, kind=Document.Kind.RECEIVED, type_code="11526-1",
                                title="CR-ACP", set_id=uuid.uuid4(), version_number=1)
    assert policy.has_permission(client, client_policy.READ_PATIENT, patient) is (kind != "other_hospital")


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_admin_access_matrix(role, client):
    """Administrators reach the administration; clinicians, secretaries and the DPO do not (account.manage is
    the matrix of tests/accounts/test_admin_rights.py)."""
    user = f.DoctorFactory(role=role, is_staff=True, is_superuser=role == Role.SYSADMIN)
    allowed = role in {Role.ADMIN_3C, Role.ADMIN_DSRC, Role.SYSADMIN}
    assert policy.has_permission(user, "admin.access") is allowed
    client.force_login(user)
    response = client.get("/admin/")
    assert (response.status_code == 200) is allowed


# --- fiches and care plans by status: the GP reads validated documents only (issue 10) ------------------------

DOCUMENT_RELATIONS = ["none", "gp", "gp_and_care_team", "care_team", "registration_doctor", "board_member"]
STATUSES = ["draft", "validated", "superseded"]
DOC_CELLS = [(relation, status) for relation in DOCUMENT_RELATIONS for status in STATUSES]


@pytest.mark.django_db
@pytest.mark.parametrize(("relation", "status"), DOC_CELLS, ids=[f"{r}-{s}" for r, s in DOC_CELLS])
def test_documents_matrix(relation, status):
    from oncodcc.patients.models import CareTeamMember

    user = f.DoctorFactory()
    board = f.BoardFactory()
    registration = f.RegistrationFactory(meeting=f.MeetingFactory(board=board))
    patient = registration.patient
    author = f.DoctorFactory()
    fiche = f.complete_fiche(registration, created_by=author)
    if status != "draft":
        f.mark_validated(fiche, by=author)
        Fiche.objects.filter(pk=fiche.pk).update(status=status)
        fiche.refresh_from_db()
    plan = CarePlan.objects.create(patient=patient, fiche=fiche, kind=CarePlan.Kind.PPS, created_by=author,
                                   status=status)
    if relation in {"gp", "gp_and_care_team"}:
        patient.gp = user.practitioner
        patient.save()
    if relation in {"care_team", "gp_and_care_team"}:
        CareTeamMember.objects.create(patient=patient, practitioner=user.practitioner)
    elif relation == "registration_doctor":
        registration.requesting_doctor = user.practitioner
        registration.save()
    elif relation == "board_member":
        f.add_member(board, user.practitioner)
    reads = relation != "none"
    works = reads and relation != "gp"  # the GP alone: a reading relation
    expected = works if status == "draft" else reads
    assert policy.has_permission(user, rcp_policy.VIEW_FICHE, fiche) is expected
    assert policy.has_permission(user, careplan_policy.VIEW_CAREPLAN, plan) is expected
    assert policy.has_permission(user, "patient.edit", patient) is works


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("relation", ["own_3c", "other_3c", "own_dsrc", "3c_of_own_dsrc"])
def test_account_review_matrix(role, relation):
    dsrc = f.DsrcFactory()
    own_3c = f.CccFactory(parent=dsrc)
    other_3c = f.CccFactory()
    attached = dsrc if role in {Role.ADMIN_DSRC, Role.DPO} else own_3c
    user = f.DoctorFactory(role=role, organisation=attached, is_superuser=role == Role.SYSADMIN)
    target = {"own_3c": own_3c, "other_3c": other_3c, "own_dsrc": dsrc, "3c_of_own_dsrc": own_3c}[relation]
    allowed = {
        Role.SYSADMIN: True,
        Role.ADMIN_DSRC: relation != "other_3c",
        Role.ADMIN_3C: relation in {"own_3c", "3c_of_own_dsrc"},
    }.get(role, False)
    assert policy.has_permission(user, REVIEW, target) is allowed
