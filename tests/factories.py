"""factory-boy factories shared by the whole suite (synthetic data only)."""

import itertools
from datetime import date, datetime, time, timedelta

import factory
from django.utils import timezone
from faker import Faker

from oncodcc.accounts.models import Role, User
from oncodcc.directory.models import Organisation, Practitioner
from oncodcc.patients.models import Patient
from oncodcc.rcp.models import (
    PARIS,
    Attendance,
    Board,
    BoardMember,
    Fiche,
    Meeting,
    ProposedTreatment,
    Registration,
    Tumour,
)
from oncodcc.terminology import valuesets as vs

fake = Faker("fr_FR")
_rpps = itertools.count(10000000001)
_finess = itertools.count(750000001)

# Specialties used by tests that need distinct ones (quorum).
ONCOLOGY = "G15_10/SM36"
RADIOTHERAPY = "G15_10/SM37"
PATHOLOGY = "G15_10/SM01"
SURGERY = "G15_10/SM14"
RADIOLOGY = "G15_10/SM44"
TEST_PASSWORD = "Test-Mot-De-Passe-2026"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.LEGAL_ENTITY
    name = factory.LazyFunction(lambda: f"Centre hospitalier de {fake.city()}")
    finess = factory.LazyFunction(lambda: str(next(_finess)))
    oid = factory.LazyFunction(lambda: f"1.2.250.1.999.{next(_finess)}")


class DsrcFactory(OrganisationFactory):
    kind = Organisation.Kind.DSRC
    name = "Onco Démo"
    finess = ""
    oid = ""
    national_id = "DSRC-DEMO"


class CccFactory(OrganisationFactory):
    kind = Organisation.Kind.CCC
    name = factory.Sequence(lambda n: f"3C Démo {n}")
    finess = ""
    oid = ""
    parent = factory.SubFactory(DsrcFactory)
    national_id = factory.Sequence(lambda n: f"3C-{n:03d}")


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner

    rpps = factory.LazyFunction(lambda: str(next(_rpps)))
    last_name = factory.LazyFunction(fake.last_name)
    first_name = factory.LazyFunction(fake.first_name)
    specialty = ONCOLOGY


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.LazyFunction(fake.first_name)
    last_name = factory.LazyFunction(fake.last_name)
    role = Role.SECRETARY
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class DoctorFactory(UserFactory):
    role = Role.DOCTOR
    practitioner = factory.SubFactory(PractitionerFactory)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    birth_name = factory.LazyFunction(lambda: fake.last_name())
    first_birth_given_name = factory.LazyFunction(fake.first_name_female)
    birth_given_names = factory.LazyAttribute(lambda o: f"{o.first_birth_given_name} {fake.first_name_female()}")
    birth_date = factory.LazyFunction(lambda: fake.date_of_birth(minimum_age=30, maximum_age=90))
    sex = "F"
    birthplace_insee = "75056"


class BoardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Board
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"RCP Sein {n}")
    nature = vs.NATURE_ORGAN
    organ_system = "76752008"
    organs = factory.LazyFunction(lambda: ["76752008"])
    managing_3c = factory.SubFactory(CccFactory)
    frequency = Board.Frequency.WEEKLY
    interval = 2
    weekday = Board.Weekday.TUESDAY
    start_time = time(17, 0)
    place = "Salle de staff, bâtiment B"


def aware(d: date, hour: int = 17, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=PARIS)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    board = factory.SubFactory(BoardFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    meeting = factory.SubFactory(MeetingFactory)
    patient = factory.SubFactory(PatientFactory)
    requesting_doctor = factory.SubFactory(PractitionerFactory)
    presenting_doctor = factory.SelfAttribute("requesting_doctor")
    question = "Quelle stratégie thérapeutique proposer ?"
    case_summary = "Patiente de 54 ans, nodule du sein gauche découvert au dépistage."
    created_by = factory.SubFactory(UserFactory)
    position = factory.Sequence(lambda n: n + 1)


def add_member(board: Board, practitioner: Practitioner | None = None, *, coordinator: bool = False,
               specialty: str = ONCOLOGY) -> Practitioner:
    practitioner = practitioner or PractitionerFactory(specialty=specialty)
    BoardMember.objects.create(board=board, practitioner=practitioner, is_coordinator=coordinator)
    return practitioner


def give_quorum(meeting: Meeting, specialties=(ONCOLOGY, RADIOTHERAPY, PATHOLOGY)) -> list[Attendance]:
    """Make doctors of distinct specialties present (members of the board)."""
    attendances = []
    for specialty in specialties:
        practitioner = add_member(meeting.board, specialty=specialty)
        attendances.append(Attendance.objects.create(meeting=meeting, practitioner=practitioner, specialty=specialty))
    return attendances


def organ_board_case(*, days_ago: int = 2):
    """The breast board of a hospital with FINESS and OID (the documents' and diffusion tests' case): the hospital,
    the board (3C "3C Démo"), its coordinator working in the hospital, and a past meeting there with a quorum."""
    hospital = OrganisationFactory(name="CHU de Démo", finess="750712184", oid="1.2.250.1.999.1",
                                   address="1 rue de la Santé 75014 Paris", phone="01 40 00 00 00")
    board = BoardFactory(name="Sein", national_id="27011113")
    board.managing_3c.short_name = "3C Démo"
    board.managing_3c.save()
    board.hospitals.add(hospital)
    coordinator = DoctorFactory(role="coordinator")
    coordinator.practitioner.organisations.add(hospital)
    add_member(board, coordinator.practitioner, coordinator=True)
    meeting = MeetingFactory(board=board, starts_at=past(days_ago), location=hospital)
    give_quorum(meeting)
    return hospital, board, coordinator, meeting


def complete_fiche(registration: Registration, *, created_by: User, **overrides) -> Fiche:
    """A draft fiche with every mandatory item of the national data set filled."""
    values = dict(
        registration=registration, patient=registration.patient, created_by=created_by,
        nature=vs.NATURE_ORGAN, organ_system="76752008", organs=["76752008"], motive_treatment=True,
        case_status=vs.CASE_DISCUSSED, screening=True, screening_date=date(2026, 9, 1),
        who_performance="MED-264", phase=vs.PHASE_INITIAL, progression=False,
        case_summary="Carcinome canalaire infiltrant du sein gauche, 18 mm, RH+ HER2-.",
        question="Traitement adjuvant ?", trial_proposed=False,
    )
    values.update(overrides)
    fiche = Fiche.objects.create(**values)
    Tumour.objects.create(fiche=fiche, topography="C50.4", laterality="7771000", morphology="8500/3",
                          diagnosis_date=date(2026, 9, 15), tnm_t="pT1c", tnm_n="pN0", tnm_m="cM0")
    ProposedTreatment.objects.create(fiche=fiche, sequence=1, code="C15313", detail="Radiothérapie adjuvante")
    ProposedTreatment.objects.create(fiche=fiche, sequence=2, code="C547", detail="Hormonothérapie 5 ans")
    return fiche


def past(days: int = 1, hour: int = 17) -> datetime:
    d = timezone.localdate() - timedelta(days=days)
    return aware(d, hour)


def hold(meeting: Meeting, *, quorum: bool = True) -> Meeting:
    """The meeting took place (started an hour ago, open), with or without quorum."""
    meeting.starts_at = timezone.now() - timedelta(hours=1)
    meeting.status = Meeting.Status.OPEN
    meeting.save()
    if quorum:
        give_quorum(meeting)
    return meeting


def mark_validated(fiche: Fiche, *, by: User) -> Fiche:
    """Mark a fiche validated without the validation rules (for tests of what follows a validated fiche)."""
    fiche.status = Fiche.Status.VALIDATED
    fiche.validated_at = timezone.now()
    fiche.validated_by = by
    fiche.save()
    return fiche
