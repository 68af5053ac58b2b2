"""A small region for the infocentre's tests: one DSRC, two territories each with its 3C, a board per 3C, and
an account per role; helpers that write validated fiches and care plans at chosen instants."""

import uuid
from dataclasses import dataclass
from datetime import datetime

import pytest

from oncodcc.accounts.models import Role, User
from oncodcc.careplans.models import CarePlan
from oncodcc.directory.models import Organisation, Territory
from oncodcc.rcp.models import PARIS, Board, Fiche, Meeting, Registration
from tests import factories as f


@dataclass
class Region:
    dsrc: Organisation
    north: Territory
    south: Territory
    ccc_north: Organisation
    ccc_south: Organisation
    hospital: Organisation
    board_north: Board
    board_south: Board
    users: dict[str, User]


@pytest.fixture
def region(db) -> Region:
    dsrc = f.DsrcFactory()
    north = Territory.objects.create(name="Territoire Nord", code="NORD", dsrc=dsrc)
    south = Territory.objects.create(name="Territoire Sud", code="SUD", dsrc=dsrc)
    ccc_north = f.CccFactory(parent=dsrc, territory=north, name="3C Nord")
    ccc_south = f.CccFactory(parent=dsrc, territory=south, name="3C Sud")
    hospital = f.OrganisationFactory(parent=ccc_north, name="CH Nord")
    board_north = f.BoardFactory(managing_3c=ccc_north, name="RCP Sein Nord")
    board_north.hospitals.add(hospital)
    board_south = f.BoardFactory(managing_3c=ccc_south, name="RCP Digestif Sud", organs=["MED-251"],
                                 organ_system="")
    users = {
        "dsrc": f.UserFactory(role=Role.ADMIN_DSRC, organisation=dsrc, username="dsrc"),
        "sysadmin": f.UserFactory(role=Role.SYSADMIN, username="sysadmin"),
        "admin3c": f.UserFactory(role=Role.ADMIN_3C, organisation=ccc_north, username="admin3c"),
        "coord3c": f.UserFactory(role=Role.COORDINATOR, organisation=ccc_north, username="coord3c"),
        "board_coordinator": f.DoctorFactory(role=Role.COORDINATOR, username="boardcoord"),
        "doctor": f.DoctorFactory(username="doctor"),
        "secretary": f.UserFactory(role=Role.SECRETARY, organisation=ccc_north, username="secretary"),
        "dpo": f.UserFactory(role=Role.DPO, organisation=dsrc, username="dpo"),
        "epidemiologist": f.UserFactory(role=Role.EPIDEMIOLOGIST, organisation=dsrc, username="epi"),
    }
    f.add_member(board_south, users["board_coordinator"].practitioner, coordinator=True)
    f.add_member(board_north, users["doctor"].practitioner)
    return Region(dsrc, north, south, ccc_north, ccc_south, hospital, board_north, board_south, users)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def meeting_at(board: Board, instant: datetime) -> Meeting:
    return Meeting.objects.create(board=board, starts_at=instant, status=Meeting.Status.CLOSED)


def registration(meeting: Meeting, patient=None, *, doctor=None, status=Registration.Status.REGISTERED):
    extra = {"requesting_doctor": doctor, "presenting_doctor": doctor} if doctor is not None else {}
    return f.RegistrationFactory(meeting=meeting, patient=patient or f.PatientFactory(), status=status, **extra)


def validated(reg: Registration, at: datetime, *, by: User | None = None, version: int = 1,
              set_id: uuid.UUID | None = None) -> Fiche:
    """A fiche row validated at `at` (no signal: the tests rebuild the rollups or send the signal)."""
    by = by or f.UserFactory()
    return Fiche.objects.create(
        registration=reg, patient=reg.patient, created_by=by, version_number=version,
        set_id=set_id or uuid.uuid4(), status=Fiche.Status.VALIDATED, validated_at=at, validated_by=by,
        question="Q", case_summary="S",
    )


def validated_plan(fiche: Fiche | None, patient, at: datetime, *, kind=CarePlan.Kind.PPS, version: int = 1,
                   set_id: uuid.UUID | None = None, by: User | None = None) -> CarePlan:
    by = by or f.UserFactory()
    return CarePlan.objects.create(
        kind=kind, patient=patient, fiche=fiche, version_number=version, set_id=set_id or uuid.uuid4(),
        status=CarePlan.Status.VALIDATED, validated_at=at, validated_by=by, created_by=by,
    )
