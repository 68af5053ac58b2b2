"""A practitioner removed from an organisation loses that organisation's boards (and keeps the others), whichever
side of the many-to-many changed, in code or in the admin; audited once per change."""

import pytest

from oncodcc.accounts.models import Role
from oncodcc.audit.models import AuditEvent
from oncodcc.rcp.models import BoardMember
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    hospital = f.OrganisationFactory(name="CH de Lens")
    other_hospital = f.OrganisationFactory(name="CH de Béthune")
    board_here = f.BoardFactory(name="Sein Lens")
    board_here.hospitals.add(hospital)
    board_both = f.BoardFactory(name="Digestif Artois")
    board_both.hospitals.add(hospital, other_hospital)
    board_elsewhere = f.BoardFactory(name="Thorax Béthune")
    board_elsewhere.hospitals.add(other_hospital)
    doctor = f.DoctorFactory()
    practitioner = doctor.practitioner
    practitioner.organisations.add(hospital, other_hospital)
    for board in (board_here, board_both, board_elsewhere):
        f.add_member(board, practitioner, coordinator=board is board_here)
    return hospital, other_hospital, practitioner, doctor


def boards_of(practitioner) -> list[str]:
    return sorted(BoardMember.objects.filter(practitioner=practitioner).values_list("board__name", flat=True))


def test_leaving_an_organisation_removes_its_boards_only(case):
    hospital, _other, practitioner, doctor = case
    practitioner.organisations.remove(hospital)
    # "Digestif Artois" is also a board of the hospital they still work in.
    assert boards_of(practitioner) == ["Digestif Artois", "Thorax Béthune"]
    event = AuditEvent.objects.get(action="account.boards_lost")
    assert event.object_type == "accounts.user" and event.object_id == str(doctor.pk)
    assert [b["name"] for b in event.details["boards"]] == ["Sein Lens"]
    assert event.details["boards"][0]["coordinator"] is True
    assert event.details["organisations_left"] == [hospital.pk]
    assert event.patient_id is None


def test_leaving_every_organisation_by_clear(case):
    _hospital, _other, practitioner, _doctor = case
    practitioner.organisations.clear()
    assert boards_of(practitioner) == []
    assert AuditEvent.objects.filter(action="account.boards_lost").count() == 1


def test_removed_from_the_organisation_side(case):
    _hospital, other_hospital, practitioner, _doctor = case
    other_hospital.practitioners.remove(practitioner)
    assert boards_of(practitioner) == ["Digestif Artois", "Sein Lens"]


def test_board_of_a_3c_is_lost_when_leaving_the_3c():
    doctor = f.DoctorFactory()
    board = f.BoardFactory()
    doctor.practitioner.organisations.add(board.managing_3c)
    f.add_member(board, doctor.practitioner)
    doctor.practitioner.organisations.remove(board.managing_3c)
    assert boards_of(doctor.practitioner) == []


def test_unrelated_change_touches_nothing(case):
    _hospital, _other, practitioner, _doctor = case
    practitioner.organisations.add(f.OrganisationFactory())
    practitioner.organisations.remove(f.OrganisationFactory())
    assert len(boards_of(practitioner)) == 3
    assert not AuditEvent.objects.filter(action="account.boards_lost").exists()


def test_through_the_admin(case, client):
    _hospital, other_hospital, practitioner, _doctor = case
    admin = f.UserFactory(role=Role.SYSADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = f"/admin/directory/practitioner/{practitioner.pk}/change/"
    response = client.post(url, {
        "rpps": practitioner.rpps, "title": practitioner.title, "last_name": practitioner.last_name,
        "first_name": practitioner.first_name, "specialty": practitioner.specialty,
        "organisations": [other_hospital.pk], "email": "", "phone": "", "active": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert boards_of(practitioner) == ["Digestif Artois", "Thorax Béthune"]
    assert AuditEvent.objects.filter(action="account.boards_lost").count() == 1
    assert AuditEvent.objects.filter(action="admin.change", actor_id=admin.pk).exists()
