"""A year of RCP activity: meetings from the recurrences, patients with their INS, registrations spread over
the meetings (1–3 per patient), attendance with quorum, validated fiches RCP; the next month registered only.

Everything is planned in memory first, then written with bulk_create (the command wraps it in one
transaction): the region loads in seconds on SQLite."""

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from faker import Faker

from oncodcc.directory.models import Practitioner
from oncodcc.patients.models import (
    OID_INS_NIR_TEST,
    CareTeamMember,
    IdentityStatus,
    Patient,
    PatientIdentifier,
)
from oncodcc.rcp.models import (
    PARIS,
    Attendance,
    Board,
    Fiche,
    Meeting,
    Registration,
)
from oncodcc.rcp.services.meetings import generate_meetings

from . import catalogue as cat
from .fiches import LEFT, RIGHT, summary, write_fiches
from .numbers import make_nir
from .region import Region

STATUS_WEIGHTS = [(IdentityStatus.QUALIFIED, 50), (IdentityStatus.VALIDATED, 20), (IdentityStatus.RETRIEVED, 15),
                  (IdentityStatus.PROVISIONAL, 15)]


def _pick(rng: random.Random, weighted):
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights=weights)[0]


@dataclass(eq=False)
class Case:
    """One patient's story in one board."""

    patient: Patient
    board: Board
    spec: cat.BoardSpec
    requester: Practitioner
    kind: cat.TumourKind
    morphology: str
    laterality: str
    size: int
    who: int
    screening: bool
    tnm_c: tuple[str, str, str]
    tnm_p: tuple[str, str, str]
    other_stage: str
    planned: int  # how many registrations the story has
    seq: int
    meetings: list[Meeting] = field(default_factory=list)
    diagnosis_date: date | None = None

    @property
    def steps(self) -> tuple[cat.Step, ...]:
        return self.kind.steps or self.spec.steps


@dataclass
class Stats:
    meetings: int = 0
    past_meetings: int = 0
    cancelled: int = 0
    patients: int = 0
    registrations: int = 0
    fiches: int = 0
    registered_only: int = 0
    attendances: int = 0
    upcoming_registrations: int = 0


class Activity:
    def __init__(self, *, region: Region, rng: random.Random, fake: Faker, today: date, months: int,
                 patients: int, now: datetime | None = None):
        self.region, self.rng, self.fake = region, rng, fake
        self.today, self.months, self.n_patients = today, months, patients
        self.now = now or timezone.now()
        self.start = today - timedelta(days=round(months * 365 / 12))
        self.until = today + timedelta(days=31)
        self.stats = Stats()
        self.fiches: list[Fiche] = []  # the validated past fiches, once written
        self.used_ins: set[str] = set()
        self.ipp_counter = 0

    # --- meetings ---

    def create_meetings(self) -> dict[int, list[Meeting]]:
        """The boards' meetings from their recurrence, a year back and a month ahead, plus a meeting of the
        breast board today at 17:00 (the demo journey) when its recurrence has none."""
        by_board: dict[int, list[Meeting]] = {}
        for board in self.region.boards:
            generate_meetings(board=board, start=self.start, until=self.until)
        breast = self.region.boards[0]
        today_17 = datetime.combine(self.today, time(17, 0), tzinfo=PARIS)
        Meeting.objects.get_or_create(
            board=breast, starts_at=today_17,
            defaults={"duration_minutes": breast.duration_minutes, "place": breast.place,
                      "video_url": breast.video_url, "location": breast.hospitals.first()},
        )
        cancelled = []
        for meeting in Meeting.objects.filter(board__in=self.region.boards).order_by("starts_at"):
            local = timezone.localtime(meeting.starts_at, PARIS).date()
            holiday = (local.month == 8 and 8 <= local.day <= 21) or (local.month, local.day) >= (12, 24) \
                or (local.month == 1 and local.day == 1)
            if local < self.today and holiday:
                cancelled.append(meeting.pk)
                continue
            by_board.setdefault(meeting.board_id, []).append(meeting)
            self.stats.meetings += 1
        Meeting.objects.filter(pk__in=cancelled).update(status=Meeting.Status.CANCELLED)
        self.stats.cancelled = len(cancelled)
        self.stats.meetings += len(cancelled)
        self.today_meeting = Meeting.objects.get(board=breast, starts_at=today_17)
        return by_board

    # --- patients ---

    def _new_patient(self, spec: cat.BoardSpec, requester: Practitioner) -> Patient:
        rng, fake = self.rng, self.fake
        sex = "F" if rng.random() < spec.sex_female else "M"
        # Born 1930–1995, most around 1955 (cancer is a disease of the elderly).
        year = round(rng.triangular(1930, spec.youngest, 1952 if spec.older else 1958))
        birth_date = date(year, rng.randint(1, 12), rng.randint(1, 28))
        given = []
        for _ in range(_pick(rng, [(1, 35), (2, 45), (3, 20)])):
            if rng.random() < 0.12:
                given.append(rng.choice(cat.COMPOUND_FIRST_NAMES[sex]))
            else:
                given.append(fake.first_name_female() if sex == "F" else fake.first_name_male())
        birth_name = fake.last_name()
        if rng.random() < 0.08:
            birth_name = f"{birth_name}-{fake.last_name()}"
        used_name = ""
        if sex == "F" and rng.random() < 0.55:
            used_name = fake.last_name()
        status = _pick(rng, STATUS_WEIGHTS)
        birthplace = _pick(rng, cat.BIRTHPLACES)
        ins = ""
        if status in {IdentityStatus.QUALIFIED, IdentityStatus.RETRIEVED}:
            order = rng.randint(1, 999)
            while True:
                ins = make_nir(sex=sex, birth_date=birth_date, birthplace_insee=birthplace, order=order)
                if ins not in self.used_ins:
                    break
                order = order % 999 + 1
            self.used_ins.add(ins)
        elif status == IdentityStatus.PROVISIONAL and rng.random() < 0.5:
            birthplace = ""
        patient = Patient(
            birth_name=birth_name, birth_given_names=" ".join(given), first_birth_given_name=given[0],
            birth_date=birth_date, sex=sex, birthplace_insee=birthplace, used_name=used_name,
            used_given_name=given[1] if len(given) > 1 and rng.random() < 0.08 else "",
            ins_matricule=ins, ins_oid=OID_INS_NIR_TEST if ins else "", identity_status=status,
            gp=rng.choice(self.region.gps) if rng.random() < 0.95 else None,
        )
        patient.refresh_search_text()
        return patient

    def _new_case(self, board: Board, seq: int) -> Case:
        rng = self.rng
        spec = self.region.specs[board.pk]
        members = self.region.members[board.pk]
        requesters = [p for p in members if p.specialty in spec.requesters]
        if board.pk == self.region.boards[0].pk:
            requesters.append(self.region.medecin)  # the demo doctor has many patients
        requester = rng.choice(requesters)
        kind = rng.choices(spec.tumours, weights=[t.weight for t in spec.tumours])[0]
        t_c = (rng.choice(cat.T_OPTIONS["c"]), rng.choice(cat.N_OPTIONS["c"]), rng.choice(cat.M_OPTIONS[:-1]))
        t_p = (rng.choice(cat.T_OPTIONS["p"]), rng.choice(cat.N_OPTIONS["p"]), "cM0")
        return Case(
            patient=self._new_patient(spec, requester), board=board, spec=spec, requester=requester, kind=kind,
            morphology=kind.morphologies[0] if rng.random() < 0.75 else rng.choice(kind.morphologies),
            laterality=rng.choice([RIGHT, LEFT]) if kind.sided else "",
            size=rng.randint(8, 45), who=_pick(rng, [(0, 45), (1, 35), (2, 13), (3, 5), (4, 2)])
            + (1 if spec.older else 0),
            screening=rng.random() < spec.screening, tnm_c=t_c, tnm_p=t_p,
            other_stage=rng.choice(cat.OTHER_STAGES) if kind.staging == "other" else "",
            planned=_pick(rng, [(1, 40), (2, 35), (3, 25)]), seq=seq,
        )

    # --- planning ---

    def _capacities(self, count: int, total: int, forced: dict[int, int]) -> list[int]:
        """How many cases each meeting takes: at least 2 (when there are enough), at most 8."""
        cap = [0] * count
        for i, value in forced.items():
            cap[i] = min(value, total)
            total -= cap[i]
        order = list(range(count))
        self.rng.shuffle(order)
        for level in (1, 2):
            for i in order:
                if total > 0 and cap[i] < level:
                    cap[i] += 1
                    total -= 1
        while total > 0:
            candidates = [i for i in range(count) if cap[i] < 8] or list(range(count))
            cap[self.rng.choice(candidates)] += 1
            total -= 1
        return cap

    def plan(self, meetings: dict[int, list[Meeting]]) -> list[Case]:
        """Give patients to boards, then spread each patient's 1–3 registrations over the board's meetings."""
        boards = self.region.boards
        weights = [self.region.specs[b.pk].weight * max(1, len(meetings.get(b.pk, []))) for b in boards]
        shares = [self.n_patients * w / sum(weights) for w in weights]
        counts = [math.floor(s) for s in shares]
        for i in sorted(range(len(boards)), key=lambda i: shares[i] - counts[i], reverse=True)[
            : self.n_patients - sum(counts)
        ]:
            counts[i] += 1
        cases: list[Case] = []
        seq = 0
        for board, count in zip(boards, counts, strict=True):
            board_cases = []
            for _ in range(count):
                seq += 1
                board_cases.append(self._new_case(board, seq))
            self._spread(board_cases, meetings.get(board.pk, []))
            cases += board_cases
        return cases

    def _spread(self, cases: list[Case], meetings: list[Meeting]) -> None:
        if not meetings or not cases:
            return
        rng = self.rng
        forced = {i: 4 for i, m in enumerate(meetings) if m.pk == self.today_meeting.pk}
        capacity = self._capacities(len(meetings), sum(c.planned for c in cases), forced)
        queue = list(cases)
        followups: list[tuple[date, int, Case]] = []
        for i, meeting in enumerate(meetings):
            day = timezone.localtime(meeting.starts_at, PARIS).date()
            wanted = capacity[i]
            new_min = math.ceil(len(queue) / (len(meetings) - i))
            due = sorted((f for f in followups if f[0] <= day), key=lambda f: (f[0], f[1]))
            chosen = [f[2] for f in due[: min(len(due), max(0, wanted - new_min))]]
            n_new = min(len(queue), max(new_min, wanted - len(chosen)))
            chosen += queue[:n_new]
            queue = queue[n_new:]
            if len(chosen) < wanted:
                early = sorted(
                    (f for f in followups if f[2] not in chosen
                     and (day - timezone.localtime(f[2].meetings[-1].starts_at, PARIS).date()).days >= 21),
                    key=lambda f: (f[0], f[1]),
                )
                chosen += [f[2] for f in early[: wanted - len(chosen)]]
            followups = [f for f in followups if f[2] not in chosen]
            for case in chosen:
                case.meetings.append(meeting)
                if len(case.meetings) < case.planned:
                    followups.append((day + timedelta(days=rng.randint(28, 100)), case.seq, case))

    # --- writing ---

    def write(self, cases: list[Case], meetings: dict[int, list[Meeting]]) -> None:
        rng = self.rng
        region = self.region
        cases = [c for c in cases if c.meetings]
        # Patients, their IPP, their care team.
        for case in cases:
            first = timezone.localtime(case.meetings[0].starts_at, PARIS).date()
            case.diagnosis_date = first - timedelta(days=rng.randint(10, 40))
            case.patient.created_by = region.user_of[case.requester.pk]
        Patient.objects.bulk_create([c.patient for c in cases])
        identifiers, team = [], set()
        for case in cases:
            hospital = rng.choice(region.hospitals[case.spec.territory])
            self.ipp_counter += 1
            identifiers.append(PatientIdentifier(
                patient=case.patient, system=hospital.oid, value=f"{hospital.oid.rsplit('.', 1)[1]}{self.ipp_counter:07d}",
                organisation=hospital,
            ))
            team.add((case.patient.pk, case.requester.pk, CareTeamMember.Role.REFERRING))
        PatientIdentifier.objects.bulk_create(identifiers)
        self.stats.patients = len(cases)

        # Registrations, meeting by meeting.
        by_meeting: dict[int, list[tuple[Case, int]]] = {}
        meeting_of: dict[int, Meeting] = {}
        for case in cases:
            for step, meeting in enumerate(case.meetings):
                by_meeting.setdefault(meeting.pk, []).append((case, step))
                meeting_of[meeting.pk] = meeting
        registrations: list[tuple[Registration, Case, int]] = []
        for meeting_pk, entries in by_meeting.items():
            meeting = meeting_of[meeting_pk]
            for position, (case, step) in enumerate(entries, start=1):
                requester = case.requester
                if meeting.pk == self.today_meeting.pk and position <= 2:
                    requester = region.medecin
                    team.add((case.patient.pk, requester.pk, CareTeamMember.Role.SPECIALIST))
                members = region.members[case.board.pk]
                presenter = requester if rng.random() < 0.8 else rng.choice(members)
                if presenter.pk != requester.pk:
                    team.add((case.patient.pk, presenter.pk, CareTeamMember.Role.SPECIALIST))
                secretary = region.secretaries[case.board.pk]
                creator = region.user_of[requester.pk] if rng.random() < 0.6 else secretary
                past = meeting.starts_at < self.now and timezone.localtime(meeting.starts_at, PARIS).date() < self.today
                registrations.append((Registration(
                    meeting=meeting, patient=case.patient, number=uuid.UUID(int=rng.getrandbits(128), version=4),
                    position=position, requesting_doctor=requester, presenting_doctor=presenter,
                    question=case.steps[min(step, len(case.steps) - 1)].question,
                    case_summary=summary(case, step, meeting, rng),
                    complete_file=past or rng.random() < 0.7, created_by=creator,
                    created_at=meeting.starts_at - timedelta(days=rng.randint(3, 20), hours=rng.randint(0, 8)),
                ), case, step))
        Registration.objects.bulk_create([r for r, _, _ in registrations])
        self.stats.registrations = len(registrations)
        # auto_now_add overwrote the dates: put back realistic ones.
        Registration.objects.bulk_update([r for r, _, _ in registrations], ["created_at"], batch_size=500)
        for case in cases:
            case.patient.created_at = case.patient.updated_at = (
                case.meetings[0].starts_at - timedelta(days=rng.randint(21, 30))
            )
        Patient.objects.bulk_update([c.patient for c in cases], ["created_at", "updated_at"], batch_size=500)
        CareTeamMember.objects.bulk_create(
            [CareTeamMember(patient_id=p, practitioner_id=pr, role=role) for p, pr, role in sorted(team)],
            ignore_conflicts=True,
        )

        # Past meetings: closed, attended (quorum), each case with a validated fiche.
        past_meetings = [m for board_meetings in meetings.values() for m in board_meetings
                         if timezone.localtime(m.starts_at, PARIS).date() < self.today]
        participants = self._attendance(past_meetings)
        self.fiches = write_fiches([r for r in registrations if r[0].meeting.pk in participants], participants,
                                   rng=rng, region=region, stats=self.stats)
        self.stats.upcoming_registrations = sum(1 for r in registrations if r[0].meeting.pk not in participants)

    def _attendance(self, meetings: list[Meeting]) -> dict[int, list[dict]]:
        rng, region = self.rng, self.region
        attendances, frozen = [], {}
        for meeting in meetings:
            members = region.members[meeting.board_id]
            present = [m for m in members if rng.random() < 0.75]
            if members[0] not in present and rng.random() < 0.9:
                present.insert(0, members[0])
            if meeting.board_id == region.boards[0].pk and region.medecin not in present and rng.random() < 0.8:
                present.append(region.medecin)
            for member in members:  # quorum: at least 3 specialties among the doctors present
                if len({p.specialty for p in present}) >= 3:
                    break
                if member.specialty not in {p.specialty for p in present}:
                    present.append(member)
            frozen[meeting.pk] = [
                {"name": str(p), "rpps": p.rpps, "specialty": p.specialty, "is_doctor": True, "member": True}
                for p in present
            ]
            attendances += [Attendance(meeting=meeting, practitioner=p, specialty=p.specialty) for p in present]
            meeting.status = Meeting.Status.CLOSED
            meeting.opened_at = meeting.starts_at
            meeting.closed_at = meeting.starts_at + timedelta(minutes=meeting.duration_minutes)
        Attendance.objects.bulk_create(attendances)
        Meeting.objects.bulk_update(meetings, ["status", "opened_at", "closed_at"], batch_size=500)
        self.stats.attendances = len(attendances)
        self.stats.past_meetings = len(meetings)
        return frozen
