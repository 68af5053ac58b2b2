"""The regional dataset (issue 16): `dcc demo-data --scale region [--patients N]`, PostgreSQL only.

On top of the demo region (loaded first when absent: its catalogue, accounts and second factors), a region at the
scale of a French DSRC: 60 more hospitals, one board per 4,000 patients (the demo's eight board kinds, each hosted
by a hospital) with eight permanent members each, a weekly meeting per board over `months` past months and the
coming four weeks (attendance for the past ones), N patients with French names (80 % from Faker's 400 surnames with
a skewed frequency, so the commonest is shared by thousands), an IPP of their hospital, a GP for most, a referring
doctor in their care team, one to three registrations each (past ones discussed, with a validated fiche: tumour,
TNM, proposal from the board's catalogue; upcoming ones registered), and the audit events of those registrations
and validations, chained and signed like any other (`audit.chain.seal`).

Written with COPY in batches of patients, each batch one transaction (a stopped load leaves whole batches).
The demo doctor (`medecin`) is made a member of three regional boards: the home page and worklists of a doctor of
several boards are measured on this data (`bench/home_page.py`).
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from faker import Faker
from faker.providers.person.fr_FR import Provider

from oncodcc.accounts.models import Role, User
from oncodcc.audit import chain
from oncodcc.audit.models import AuditChainHead, AuditEvent
from oncodcc.audit.services import Action
from oncodcc.core.text import fold
from oncodcc.directory.models import Organisation, Practitioner
from oncodcc.patients.matching import phonetic_key
from oncodcc.patients.models import CareTeamMember, IdentityStatus, Patient, PatientIdentifier
from oncodcc.rcp.models import (
    Attendance,
    Board,
    BoardMember,
    Fiche,
    Meeting,
    ProposedTreatment,
    Registration,
    Tumour,
)

from . import builder
from . import catalogue as cat
from .copying import copy_rows, next_id, reset_sequence
from .numbers import make_finess, make_rpps

DEFAULT_PATIENTS = 600_000
HOSPITALS = 60
PATIENTS_PER_BOARD = 4_000
BATCH = 20_000
NATIONAL_ID_PREFIX = "REGION-RCP-"
DOCTOR_BOARDS = 3  # regional boards the demo doctor joins
SYLLABLES = ["bra", "cou", "del", "fer", "gau", "lan", "mar", "nou", "pel", "qui", "ros", "sau", "tel", "val",
             "ver", "zan", "chal", "bour", "gnac", "mont", "ric", "teil", "ouz", "lhe"]


def format_count(count: int) -> str:
    """A count the French way: thousands separated by a narrow no-break space."""
    return f"{count:,}".replace(",", "\u202f")


class RegionalRefused(Exception):
    """The regional dataset cannot be loaded here (SQLite, already loaded)."""


def surname_picker(rng: random.Random) -> tuple[str, Callable[[], str]]:
    """(the commonest surname, a function drawing surnames): Faker's 400 French surnames with a Zipf-like skew
    (80 %), invented rare ones (20 %)."""
    common = sorted(set(Provider.last_names))
    rng.shuffle(common)
    weights = [1 / (rank + 1) ** 0.5 for rank in range(len(common))]

    def pick() -> str:
        if rng.random() < 0.8:
            return rng.choices(common, weights)[0]
        return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()

    return common[0], pick


def regional_layer_exists() -> bool:
    return Board.objects.filter(national_id__startswith=NATIONAL_ID_PREFIX).exists()


@dataclass
class _Counts:
    hospitals: int = 0
    boards: int = 0
    meetings: int = 0
    attendances: int = 0
    patients: int = 0
    registrations: int = 0
    fiches: int = 0
    audit_events: int = 0
    commonest_surname: str = ""
    seconds: float = 0.0


@dataclass
class _RegionalBoard:
    board: Board
    spec: cat.BoardSpec
    hospital: Organisation
    members: list[Practitioner]
    coordinator: User
    secretary: User
    past: list[tuple[int, datetime]] = field(default_factory=list)  # (meeting id, start), in order
    upcoming: list[tuple[int, datetime]] = field(default_factory=list)


def load(*, patients: int = DEFAULT_PATIENTS, seed: int = builder.DEFAULT_SEED, months: int = builder.DEFAULT_MONTHS,
         demo_patients: int = builder.DEFAULT_PATIENTS, today: date | None = None,
         progress: Callable[[str], None] = lambda message: None) -> dict:
    if connection.vendor != "postgresql":
        raise RegionalRefused("Refusé : le jeu de données régional s'écrit avec COPY et ne se charge que sur "
                              "PostgreSQL (DATABASE_URL=postgres://…), pas sur SQLite.")
    if regional_layer_exists():
        raise RegionalRefused("Le jeu de données régional est déjà chargé dans cette base : rien à faire.")
    started = time.monotonic()

    def step(message: str) -> None:
        progress(f"  [{time.monotonic() - started:6.1f} s] {message}")

    if not builder.demo_region_exists():
        step("région de démonstration absente : chargement d'abord (catalogue, comptes)")
        builder.load(seed=seed, patients=demo_patients, months=months, today=today, progress=progress)
    rng = random.Random(seed + 16)
    fake = Faker("fr_FR")
    fake.seed_instance(seed + 16)
    today = today or timezone.localdate()
    counts = _Counts()
    with transaction.atomic():
        hospitals = _hospitals()
        boards = _boards(rng, fake, hospitals, max(len(cat.BOARDS), patients // PATIENTS_PER_BOARD), today, months)
        counts.hospitals, counts.boards = len(hospitals), len(boards)
        step(f"{len(hospitals)} établissements, {len(boards)} RCP régionales avec leurs membres "
             f"(dont {DOCTOR_BOARDS} avec le compte de démonstration « medecin »)")
        counts.meetings, counts.attendances = _meetings(rng, boards, today, months)
        step(f"{format_count(counts.meetings)} séances, {format_count(counts.attendances)} présences")
    _patients(rng, boards, hospitals, patients, counts, step)
    for model in (Organisation, Practitioner, Board, BoardMember, Meeting, Attendance, Patient, PatientIdentifier,
                  CareTeamMember, Registration, Fiche, Tumour, ProposedTreatment, AuditEvent):
        reset_sequence(model)
    with connection.cursor() as cursor:
        for model in (Patient, PatientIdentifier, CareTeamMember, Meeting, Attendance, Registration, Fiche, Tumour,
                      ProposedTreatment, AuditEvent):  # every table written: without statistics, seq scans
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    counts.seconds = round(time.monotonic() - started, 1)
    step("séquences remises à niveau, statistiques du planificateur à jour (ANALYZE)")
    return counts.__dict__


def _hospitals() -> list[Organisation]:
    cccs = list(Organisation.objects.filter(kind=Organisation.Kind.CCC, parent__national_id=cat.DEMO_DSRC_ID)
                .order_by("pk"))
    hospitals = [Organisation(kind=Organisation.Kind.LEGAL_ENTITY, name=f"Centre hospitalier régional n° {n + 1}",
                              short_name=f"CH régional {n + 1}", parent=cccs[n % len(cccs)],
                              finess=make_finess("98", 700 + n), oid=f"{cat.DEMO_OID_ARC}.16.{n + 1}")
                 for n in range(HOSPITALS)]
    return Organisation.objects.bulk_create(hospitals)


def _boards(rng, fake, hospitals, count: int, today: date, months: int) -> list[_RegionalBoard]:
    specs = list(cat.BOARDS)
    practitioners, plans = [], []
    for number in range(count):
        spec = specs[number % len(specs)]
        hospital = hospitals[number % len(hospitals)]
        members = []
        for specialty in spec.members:
            female = rng.random() < 0.5
            practitioner = Practitioner(
                rpps=make_rpps(10_000 + len(practitioners)), title="Dr", specialty=specialty,
                first_name=fake.first_name_female() if female else fake.first_name_male(), last_name=fake.last_name())
            practitioners.append(practitioner)
            members.append(practitioner)
        plans.append((spec, hospital, members))
    Practitioner.objects.bulk_create(practitioners)
    through = Practitioner.organisations.through
    through.objects.bulk_create([through(practitioner_id=p.pk, organisation_id=hospital.pk)
                                 for _, hospital, members in plans for p in members])
    created = Board.objects.bulk_create([
        Board(name=f"{spec.name} — {hospital.short_name}", nature=spec.nature, organ_system=spec.organ_system,
              organs=list(spec.organs), care_types=list(spec.care_types), managing_3c_id=hospital.parent_id,
              national_id=f"{NATIONAL_ID_PREFIX}{number + 1:05d}", frequency=Board.Frequency.WEEKLY, interval=1,
              weekday=spec.weekday, start_time=spec.start, duration_minutes=120,
              recurrence_start=today - timedelta(days=round(months * 365 / 12)), place=f"Salle de staff, "
              f"{hospital.short_name}")
        for number, (spec, hospital, _) in enumerate(plans)])
    Board.hospitals.through.objects.bulk_create([
        Board.hospitals.through(board_id=board.pk, organisation_id=hospital.pk)
        for board, (_, hospital, _) in zip(created, plans, strict=True)])
    memberships = [BoardMember(board=board, practitioner=p, is_coordinator=i == 0)
                   for board, (_, _, members) in zip(created, plans, strict=True) for i, p in enumerate(members)]
    doctor = User.objects.filter(username="medecin").values_list("practitioner_id", flat=True).first()
    if doctor:
        memberships += [BoardMember(board=board, practitioner_id=doctor) for board in created[:DOCTOR_BOARDS]]
    BoardMember.objects.bulk_create(memberships)
    # Each board's coordinator signs its fiches, its secretary registers its cases (accounts without a password:
    # the regional dataset is for measuring, the demo accounts are for signing in).
    coordinators = User.objects.bulk_create([
        User(username=f"coord.{board.national_id.lower()}", password=f"!{get_random_string(40)}",
             role=Role.COORDINATOR, practitioner=members[0], first_name=members[0].first_name,
             last_name=members[0].last_name) for board, (_, _, members) in zip(created, plans, strict=True)])
    secretaries = User.objects.bulk_create([
        User(username=f"secr.{board.national_id.lower()}", password=f"!{get_random_string(40)}",
             role=Role.SECRETARY, organisation_id=board.managing_3c_id, first_name="Secrétariat",
             last_name=board.name[:150]) for board in created])
    Board.secretaries.through.objects.bulk_create([
        Board.secretaries.through(board_id=board.pk, user_id=secretary.pk)
        for board, secretary in zip(created, secretaries, strict=True)])
    return [_RegionalBoard(board, spec, hospital, members, coordinator, secretary)
            for board, (spec, hospital, members), coordinator, secretary
            in zip(created, plans, coordinators, secretaries, strict=True)]


def _meetings(rng, boards: list[_RegionalBoard], today: date, months: int) -> tuple[int, int]:
    now = timezone.now()
    first = today - timedelta(days=round(months * 365 / 12))
    meeting_id, meetings, attendances = next_id(Meeting), [], []
    for regional in boards:
        day = first + timedelta(days=(regional.spec.weekday - first.weekday()) % 7)
        while day <= today + timedelta(days=28):
            starts = timezone.make_aware(datetime.combine(day, regional.spec.start), timezone.get_default_timezone())
            past = starts < now
            meetings.append({"id": meeting_id, "board_id": regional.board.pk, "starts_at": starts,
                             "duration_minutes": 120, "status": Meeting.Status.CLOSED if past else
                             Meeting.Status.PLANNED, "place": regional.board.place, "from_recurrence": True,
                             "location_id": regional.hospital.pk, "opened_at": starts if past else None,
                             "closed_at": starts + timedelta(minutes=120) if past else None})
            (regional.past if past else regional.upcoming).append((meeting_id, starts))
            if past:
                for practitioner in regional.members:
                    if rng.random() < 0.8:
                        attendances.append({"meeting_id": meeting_id, "practitioner_id": practitioner.pk,
                                            "specialty": practitioner.specialty, "recorded_at": starts})
            meeting_id += 1
            day += timedelta(days=7)
    copy_rows(Meeting, meetings)
    attendance_id = next_id(Attendance)
    for offset, row in enumerate(attendances):
        row["id"] = attendance_id + offset
    copy_rows(Attendance, attendances)
    return len(meetings), len(attendances)


class _Ids:
    """The next id of each table written by COPY (read once: the load is the only writer of these rows)."""

    def __init__(self, *models):
        self._next = {model: next_id(model) for model in models}

    def take(self, model) -> int:
        value = self._next[model]
        self._next[model] = value + 1
        return value


def _patients(rng, boards, hospitals, count: int, counts: _Counts, step) -> None:
    counts.commonest_surname, surname = surname_picker(rng)
    female, male = list(Provider.first_names_female), list(Provider.first_names_male)
    gps = list(Practitioner.objects.filter(specialty=cat.GP).values_list("pk", flat=True))
    weights = [regional.spec.weight for regional in boards]
    keys: dict[str, str] = {}
    ids = _Ids(Patient, PatientIdentifier, CareTeamMember, Registration, Fiche, Tumour, ProposedTreatment)
    positions: dict[int, int] = {}
    for start in range(0, count, BATCH):
        rows = {model: [] for model in (Patient, PatientIdentifier, CareTeamMember, Registration, Fiche, Tumour,
                                        ProposedTreatment)}
        events = []
        for _ in range(start, min(count, start + BATCH)):
            regional = rng.choices(boards, weights)[0]
            spec = regional.spec
            sex = "F" if rng.random() < spec.sex_female else "M"
            given = [rng.choice(female if sex == "F" else male) for _ in range(rng.choice((1, 2, 2, 3)))]
            birth_name = surname()
            used = surname() if sex == "F" and rng.random() < 0.3 else ""
            born = date(1930, 1, 1) + timedelta(days=rng.randrange(75 * 365))
            pk = ids.take(Patient)
            for name in (birth_name, used):
                if name not in keys:
                    keys[name] = phonetic_key(name)
            rows[Patient].append({
                "id": pk, "birth_name": birth_name, "birth_given_names": " ".join(given),
                "first_birth_given_name": given[0], "birth_date": born, "sex": sex, "birthplace_insee": "31555",
                "used_name": used, "identity_status": IdentityStatus.PROVISIONAL,
                "search_text": fold(" ".join([birth_name, used, " ".join(given), ""])),
                "birth_name_key": keys[birth_name], "used_name_key": keys[used],
                "gp_id": rng.choice(gps) if gps and rng.random() < 0.85 else None,
                "created_by_id": regional.secretary.pk})
            hospital = regional.hospital if rng.random() < 0.9 else rng.choice(hospitals)
            rows[PatientIdentifier].append({"id": ids.take(PatientIdentifier), "patient_id": pk,
                                            "system": hospital.oid, "value": f"{pk:09d}",
                                            "organisation_id": hospital.pk})
            referring = rng.choice([m for m in regional.members if m.specialty in spec.requesters]
                                   or regional.members)
            rows[CareTeamMember].append({"id": ids.take(CareTeamMember), "patient_id": pk,
                                         "practitioner_id": referring.pk, "role": CareTeamMember.Role.REFERRING})
            _registrations(rng, regional, pk, referring, ids, positions, rows, events)
        with transaction.atomic():
            for model, model_rows in rows.items():
                copy_rows(model, model_rows)
                reset_sequence(model)  # a load stopped after this batch leaves the ORM's next ids free
            counts.audit_events += _append_events(events)
            reset_sequence(AuditEvent)
        counts.patients += len(rows[Patient])
        counts.registrations += len(rows[Registration])
        counts.fiches += len(rows[Fiche])
        step(f"{format_count(counts.patients)} patients, {format_count(counts.registrations)} inscriptions, {format_count(counts.fiches)} fiches "
             f"validées, {format_count(counts.audit_events)} événements d'audit")


def _registrations(rng, regional: _RegionalBoard, patient_id: int, referring, ids, positions, rows, events) -> None:
    """One to three cases of the patient on the board's meetings (the steps of its catalogue, weeks apart)."""
    spec, secretary = regional.spec, regional.secretary
    timeline = regional.past + regional.upcoming
    if not timeline:
        return
    kind = rng.choices(spec.tumours, [t.weight for t in spec.tumours])[0]
    morphology = kind.morphologies[0] if rng.random() < 0.7 else rng.choice(kind.morphologies)
    steps = (kind.steps or spec.steps)[:rng.choice((1, 1, 1, 2, 2, 3))]
    now = timezone.now()
    index = rng.randrange(len(timeline))
    for step in steps:
        if index >= len(timeline):
            break
        meeting_id, starts = timeline[index]
        past = starts < now
        positions[meeting_id] = positions.get(meeting_id, 0) + 1
        registration_id = ids.take(Registration)
        rows[Registration].append({
            "id": registration_id, "meeting_id": meeting_id, "patient_id": patient_id,
            "position": positions[meeting_id],
            "status": Registration.Status.DISCUSSED if past else Registration.Status.REGISTERED,
            "requesting_doctor_id": referring.pk, "presenting_doctor_id": referring.pk, "question": step.question,
            "complete_file": True, "created_by_id": secretary.pk, "created_at": starts - timedelta(days=6)})
        events.append(_event(secretary, Action.REGISTRATION_CREATE, patient_id, "rcp.registration", registration_id,
                             starts - timedelta(days=6)))
        if past:
            _fiche(rng, regional, step, kind, morphology, patient_id, registration_id, starts, ids, rows, events)
        index += rng.randrange(4, 13)  # the next step some weeks later


def _fiche(rng, regional, step, kind, morphology, patient_id, registration_id, starts, ids, rows, events) -> None:
    spec, coordinator = regional.spec, regional.coordinator
    proposals = [p for p in step.proposals if not p.only or kind.topography.startswith(p.only)] or step.proposals
    proposal = rng.choices(proposals, [p.weight for p in proposals])[0]
    fiche_id = ids.take(Fiche)
    validated = starts + timedelta(minutes=90)
    prefix = "p" if step.pathological else "c"
    rows[Fiche].append({
        "id": fiche_id, "registration_id": registration_id, "patient_id": patient_id,
        "status": Fiche.Status.VALIDATED, "nature": spec.nature, "organ_system": spec.organ_system,
        "organs": list(spec.organs), "care_types": list(spec.care_types), "motive_diagnostic": step.motive_diagnostic,
        "motive_treatment": not step.motive_diagnostic, "phase": step.phase, "question": step.question,
        "case_summary": f"{kind.site or kind.topography} : {morphology}. Dossier présenté par le médecin référent.",
        "complete_file": True, "quorum_status": "", "surveillance_only": proposal.surveillance,
        "proposal_comment": proposal.comment, "guideline_name": spec.guideline,
        "participants": [{"name": str(member), "rpps": member.rpps, "specialty": member.specialty,
                          "counts_for_quorum": True} for member in regional.members[:4]],
        "validated_at": validated, "validated_by_id": coordinator.pk, "signer_name": str(coordinator),
        "created_by_id": coordinator.pk, "created_at": starts, "updated_at": validated})
    tnm = kind.staging == "tnm"
    rows[Tumour].append({
        "id": ids.take(Tumour), "fiche_id": fiche_id, "topography": kind.topography, "morphology": morphology,
        "diagnosis_date": (starts - timedelta(days=rng.randrange(10, 60))).date(),
        "tnm_t": rng.choice(cat.T_OPTIONS[prefix]) if tnm else "",
        "tnm_n": rng.choice(cat.N_OPTIONS[prefix]) if tnm else "", "tnm_m": rng.choice(cat.M_OPTIONS) if tnm else "",
        "other_stage": "" if tnm else rng.choice(cat.OTHER_STAGES)})
    treatments = [(code, detail, False) for code, detail in proposal.treatments]
    if proposal.alternative:
        treatments.append((*proposal.alternative, True))
    for sequence, (code, detail, alternative) in enumerate(treatments, start=1):
        rows[ProposedTreatment].append({"id": ids.take(ProposedTreatment), "fiche_id": fiche_id,
                                        "sequence": sequence, "code": code, "detail": detail,
                                        "is_alternative": alternative})
    events.append(_event(coordinator, Action.FICHE_VALIDATE, patient_id, "rcp.fiche", fiche_id, validated))


def _event(actor: User, action: str, patient_id: int, object_type: str, object_id: int, at: datetime) -> AuditEvent:
    # Sealed as read back (UTC): the hash covers occurred_at's ISO text.
    return AuditEvent(occurred_at=at.astimezone(UTC), actor_id=actor.pk, actor_label=str(actor), actor_role=actor.role,
                      action=action, patient_id=patient_id, object_type=object_type, object_id=str(object_id),
                      details={"regional_dataset": True})


def _append_events(events: list[AuditEvent]) -> int:
    """Chain and seal the batch's events after the head (locked: no other writer interleaves), COPY them, sign the
    new head: `dcc audit verify` proves them like any other."""
    if not events:
        return 0
    AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": chain.GENESIS})
    head = AuditChainHead.objects.select_for_update().get(pk=1)
    prev, event_id = head.last_hash, next_id(AuditEvent)
    for event in events:
        event.id, event.prev_hash = event_id, prev
        chain.seal(event)
        prev, event_id = event.hash, event_id + 1
    copy_rows(AuditEvent, [{f.attname: getattr(event, f.attname) for f in AuditEvent._meta.concrete_fields}
                           for event in events])
    last_id, count = events[-1].id, head.count + len(events)
    AuditChainHead.objects.filter(pk=1).update(last_event_id=last_id, last_hash=prev, count=count,
                                               **chain.sign_head(last_id, count, prev))
    return len(events)
