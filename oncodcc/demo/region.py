"""The structure of the demo region: DSRC, 3C, hospitals (EJ + EG), practitioners, boards, users."""

import random
import re
import unicodedata
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_otp.plugins.otp_totp.models import TOTPDevice
from faker import Faker

from oncodcc.accounts import otp
from oncodcc.accounts.models import Charter, Role, User
from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.directory.models import Organisation, Practitioner, Territory
from oncodcc.rcp.models import Board, BoardMember

from . import catalogue as cat
from .accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, totp_key
from .numbers import make_finess, make_rpps


@dataclass
class Region:
    dsrc: Organisation
    cccs: list[Organisation]
    hospitals: list[list[Organisation]]  # EJ per territory
    practitioners: list[Practitioner]
    gps: list[Practitioner]
    boards: list[Board] = field(default_factory=list)
    specs: dict[int, cat.BoardSpec] = field(default_factory=dict)  # board pk -> spec
    members: dict[int, list[Practitioner]] = field(default_factory=dict)  # board pk -> members
    coordinators: dict[int, User] = field(default_factory=dict)  # board pk -> coordinator's user
    secretaries: dict[int, User] = field(default_factory=dict)  # board pk -> secretary
    user_of: dict[int, User] = field(default_factory=dict)  # practitioner pk -> user
    demo_users: dict[str, User] = field(default_factory=dict)
    medecin: Practitioner | None = None


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def build_organisations(fake: Faker) -> tuple[Organisation, list[Organisation], list[list[Organisation]]]:
    dsrc = Organisation.objects.create(kind=Organisation.Kind.DSRC, national_id=cat.DEMO_DSRC_ID, **cat.DSRC)
    cccs, hospitals, n = [], [], 0
    for territory in cat.TERRITORIES:
        area = Territory.objects.create(dsrc=dsrc, **territory["territory"])
        ccc = Organisation.objects.create(kind=Organisation.Kind.CCC, parent=dsrc, territory=area, **territory["ccc"])
        cccs.append(ccc)
        ejs = []
        for name, short, site in territory["hospitals"]:
            n += 1
            ej = Organisation.objects.create(
                kind=Organisation.Kind.LEGAL_ENTITY, name=name, short_name=short, parent=ccc,
                finess=make_finess(territory["department"], 990000 + n * 10),
                oid=f"{cat.DEMO_OID_ARC}.{n}", address=f"{fake.building_number()} {fake.street_name()} (adresse fictive)",
                phone=fake.phone_number(),
            )
            Organisation.objects.create(
                kind=Organisation.Kind.SITE, name=f"{short} — {site}", short_name=f"{short} ({site})", parent=ej,
                finess=make_finess(territory["department"], 990000 + n * 10 + 1),
            )
            ejs.append(ej)
        hospitals.append(ejs)
    return dsrc, cccs, hospitals


def build_hl7_senders(hospitals: list[list[Organisation]]) -> int:
    """Each demo hospital's record system is a registered HL7 sender: MSH-3 "DPI", MSH-4 its FINESS, so that a
    message sent with any HL7 tool to `make run`'s MLLP port is accepted (README, docs/hl7.md)."""
    from oncodcc.interop.hl7v2.models import Hl7Sender

    flat = [h for territory in hospitals for h in territory]
    Hl7Sender.objects.bulk_create([Hl7Sender(application="DPI", facility=h.finess, organisation=h) for h in flat])
    return len(flat)


def build_practitioners(fake: Faker, rng: random.Random, hospitals: list[list[Organisation]]):
    flat = [h for territory in hospitals for h in territory]
    practitioners = []
    n = 0
    for specialty, count in cat.PRACTITIONERS:
        for _ in range(count):
            n += 1
            female = rng.random() < 0.5
            first = fake.first_name_female() if female else fake.first_name_male()
            last = fake.last_name()
            practitioners.append(Practitioner(
                rpps=make_rpps(n), title="Dr", first_name=first, last_name=last, specialty=specialty,
                email=f"{_slug(first)}.{_slug(last)}@demo.mssante.invalid",
                phone=fake.phone_number(),
            ))
    Practitioner.objects.bulk_create(practitioners)
    through = Practitioner.organisations.through
    links = []
    for i, practitioner in enumerate(practitioners):
        if practitioner.specialty == cat.GP:
            continue  # GPs work in their own practice (cabinet), not in the hospitals
        first = flat[i % len(flat)]
        links.append(through(practitioner_id=practitioner.pk, organisation_id=first.pk))
        if rng.random() < 0.2:
            second = rng.choice([h for h in flat if h.pk != first.pk])
            links.append(through(practitioner_id=practitioner.pk, organisation_id=second.pk))
    through.objects.bulk_create(links)
    gps = [p for p in practitioners if p.specialty == cat.GP]
    return practitioners, gps


def build_boards(rng: random.Random, region: Region, *, recurrence_start) -> None:
    by_specialty: dict[str, list[Practitioner]] = {}
    for practitioner in region.practitioners:
        by_specialty.setdefault(practitioner.specialty, []).append(practitioner)
    load: dict[int, int] = {p.pk: 0 for p in region.practitioners}
    members = []
    for number, spec in enumerate(cat.BOARDS, start=1):
        ccc = region.cccs[spec.territory]
        board = Board.objects.create(
            name=spec.name, nature=spec.nature, organ_system=spec.organ_system, organs=list(spec.organs),
            care_types=list(spec.care_types), managing_3c=ccc, national_id=f"DEMO-RCP-{number:04d}",
            frequency=Board.Frequency.WEEKLY, interval=spec.interval, weekday=spec.weekday, start_time=spec.start,
            duration_minutes=120 if spec.interval == 1 else 90, recurrence_start=recurrence_start,
            place=spec.place, video_url=f"https://visio.demo.invalid/rcp-{spec.key}",
        )
        board.hospitals.set(region.hospitals[spec.territory])
        chosen: list[Practitioner] = []
        for specialty in spec.members:
            pool = [p for p in by_specialty[specialty] if p not in chosen]
            pool.sort(key=lambda p: (load[p.pk], rng.random()))
            practitioner = pool[0]
            load[practitioner.pk] += 1
            chosen.append(practitioner)
        for i, practitioner in enumerate(chosen):
            members.append(BoardMember(board=board, practitioner=practitioner, is_coordinator=i == 0))
        region.boards.append(board)
        region.specs[board.pk] = spec
        region.members[board.pk] = chosen
    BoardMember.objects.bulk_create(members)
    breast = region.boards[0]
    # The demo doctor: an oncologist of the breast board who is not its coordinator.
    region.medecin = next(p for p in region.members[breast.pk][1:] if p.specialty == cat.ONCO)


def add_demo_second_factors(users, *, audited: bool = False) -> int:
    """A confirmed TOTP device with the published secret (README, `make run`, `dcc otp-code`) for each demo account
    that has no device (one enrolled by hand is kept). Returns how many were added. `audited`: one OTP_ENROL event
    each (outside the region's load, which is one audit event as a whole)."""
    with transaction.atomic():
        users = [user for user in users if not otp.is_enrolled(user)]
        TOTPDevice.objects.bulk_create([
            TOTPDevice(user=user, name=otp.TOTP_NAME, confirmed=True, key=totp_key(user.username).hex())
            for user in users])
        if audited:
            for user in users:
                audit.record(actor=None, action=Action.OTP_ENROL, obj=user, details={"step": "demo_device"})
    return len(users)


CHARTER_TEXT = """Charte d'utilisation du DCC de {dsrc} (démonstration).

1. J'accède aux dossiers des seuls patients que je prends en charge ou dont le cas est présenté dans une RCP à \
laquelle je participe.
2. Mes identifiants, mon second facteur et mes codes de secours sont personnels : je ne les prête à personne.
3. Chacun de mes accès est tracé ; le patient peut en demander l'historique.
4. Je signale au 3C tout départ d'établissement ou changement de fonction."""


def build_charter(dsrc: Organisation) -> Charter:
    """The published charter that account requests accept (version 1)."""
    return Charter.objects.create(version=1, text=CHARTER_TEXT.format(dsrc=dsrc), published_at=timezone.now())


def build_users(region: Region) -> None:
    demo_hash = make_password(DEMO_PASSWORD)  # hashed once: the hasher is slow on purpose
    breast = region.boards[0]
    breast_coordinator = region.members[breast.pk][0]
    roles = {username: role for username, role, _ in DEMO_ACCOUNTS}
    demo_links = {"medecin": region.medecin, "coordinateur": breast_coordinator}
    demo_orgs = {"secretaire": breast.managing_3c, "admin3c": region.cccs[0], "admindsrc": region.dsrc,
                 "dpo": region.dsrc, "epidemio": region.dsrc}
    users: list[User] = []
    for username, role in roles.items():
        practitioner = demo_links.get(username)
        users.append(User(
            username=username, role=role, password=demo_hash, practitioner=practitioner,
            organisation=demo_orgs.get(username),
            first_name=practitioner.first_name if practitioner else username.capitalize(),
            last_name=practitioner.last_name if practitioner else "Démo",
            email=f"{username}@demo.invalid",
            is_staff=role in {Role.ADMIN_3C, Role.ADMIN_DSRC, Role.SYSADMIN},
            is_superuser=role == Role.SYSADMIN,
        ))
    coordinators = {region.members[b.pk][0].pk for b in region.boards}
    taken = {"medecin", "coordinateur"}
    for practitioner in region.practitioners:
        if practitioner in demo_links.values():
            continue
        username = f"{_slug(practitioner.first_name)}.{_slug(practitioner.last_name)}"
        while username in taken:
            username += "2"
        taken.add(username)
        users.append(User(
            username=username, password=f"!{get_random_string(40)}", practitioner=practitioner,
            role=Role.COORDINATOR if practitioner.pk in coordinators else Role.DOCTOR,
            first_name=practitioner.first_name, last_name=practitioner.last_name,
        ))
    for board in region.boards[1:]:
        spec = region.specs[board.pk]
        users.append(User(
            username=f"secretariat.{spec.key}", password=f"!{get_random_string(40)}", role=Role.SECRETARY,
            organisation=board.managing_3c, first_name="Secrétariat", last_name=spec.name,
        ))
    User.objects.bulk_create(users)
    by_username = {u.username: u for u in users}
    region.demo_users = {username: by_username[username] for username in roles}
    add_demo_second_factors(region.demo_users.values())
    region.user_of = {u.practitioner_id: u for u in users if u.practitioner_id}
    through = Board.secretaries.through
    links = []
    for board in region.boards:
        spec = region.specs[board.pk]
        secretary = by_username["secretaire"] if board is breast else by_username[f"secretariat.{spec.key}"]
        region.secretaries[board.pk] = secretary
        region.coordinators[board.pk] = region.user_of[region.members[board.pk][0].pk]
        links.append(through(board_id=board.pk, user_id=secretary.pk))
    through.objects.bulk_create(links)
