"""Load the demo region: deterministic for a seed (and a day), in one transaction, one audit event."""

import random
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from faker import Faker

from oncodcc.accounts.models import User
from oncodcc.audit import services as audit
from oncodcc.audit.services import Action
from oncodcc.diffusion.demo_receiver import register_demo_receivers
from oncodcc.directory.models import Organisation, Practitioner
from oncodcc.documents import services as documents
from oncodcc.infocentre import rollups, search_index
from oncodcc.patients.models import Patient
from oncodcc.rcp.models import Fiche

from . import catalogue as cat
from .accounts import DEMO_ACCOUNTS
from .activity import Activity
from .region import (
    Region,
    build_boards,
    build_charter,
    build_hl7_senders,
    build_organisations,
    build_practitioners,
    build_users,
)
from .reports import file_reports
from .trials import load_demo_trials

DEFAULT_SEED = 2026
DEFAULT_PATIENTS = 600
DEFAULT_MONTHS = 12


class DemoConflict(Exception):
    """The database holds data that the demo would collide with."""


def demo_region_exists() -> bool:
    return Organisation.objects.filter(kind=Organisation.Kind.DSRC, national_id=cat.DEMO_DSRC_ID).exists()


def database_is_empty() -> bool:
    return not (Organisation.objects.exists() or Patient.objects.exists() or Practitioner.objects.exists())


def register_missing_documents() -> int:
    """A demo region loaded before its past fiches were documents: register those without one (not diffused, rendered
    by the worker in the background, as `load` does). Returns how many were registered."""
    fiches = list(
        Fiche.objects.filter(status=Fiche.Status.VALIDATED, document__isnull=True,
                             registration__meeting__board__managing_3c__parent__national_id=cat.DEMO_DSRC_ID)
        .select_related("patient", "registration__meeting__board", "registration__meeting__location").order_by("pk")
    )
    with transaction.atomic():
        registered = documents.register_fiches(fiches, diffuse=False, priority=documents.BACKLOG_PRIORITY)
        if registered:
            audit.record(actor=None, action=Action.DEMO_DATA, details={"documents": len(registered)})
    return len(registered)


def load(*, seed: int = DEFAULT_SEED, patients: int = DEFAULT_PATIENTS, months: int = DEFAULT_MONTHS,
         today: date | None = None, progress: Callable[[str], None] = lambda message: None) -> dict:
    """Build the region. Returns the counts. The caller checks DEMO_MODE and whether it already exists."""
    taken = list(User.objects.filter(username__in=[u for u, _, _ in DEMO_ACCOUNTS]).values_list("username", flat=True))
    if taken:
        raise DemoConflict(f"des comptes portent déjà les identifiants de démonstration : {', '.join(taken)}")
    started = time.monotonic()
    rng = random.Random(seed)
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    today = today or timezone.localdate()

    def step(message: str) -> None:
        progress(f"  [{time.monotonic() - started:5.1f} s] {message}")

    with transaction.atomic():
        dsrc, cccs, hospitals = build_organisations(fake)
        practitioners, gps = build_practitioners(fake, rng, hospitals)
        region = Region(dsrc=dsrc, cccs=cccs, hospitals=hospitals, practitioners=practitioners, gps=gps)
        step(f"structures : 1 DSRC, {len(cccs)} 3C, {sum(map(len, hospitals))} établissements ; "
             f"{len(practitioners)} professionnels de santé")
        build_boards(rng, region, recurrence_start=today - timedelta(days=round(months * 365 / 12)))
        build_users(region)
        build_charter(dsrc)
        senders = build_hl7_senders(hospitals)
        receivers = register_demo_receivers([h for territory in hospitals for h in territory])
        step(f"{len(region.boards)} RCP avec leurs membres ; comptes de démonstration ; "
             f"{senders} émetteurs HL7 (application DPI, établissement = FINESS) ; {receivers} récepteurs DPI "
             "(dcc demo-receiver)")
        activity = Activity(region=region, rng=rng, fake=fake, today=today, months=months, patients=patients)
        meetings = activity.create_meetings()
        step(f"{activity.stats.meetings} séances ({activity.stats.cancelled} annulées pendant les congés)")
        cases = activity.plan(meetings)
        activity.write(cases, meetings)
        stats = activity.stats
        step(f"{stats.patients} patients, {stats.registrations} inscriptions, {stats.fiches} fiches RCP validées "
             f"(dont {stats.registered_only} cas enregistrés), {stats.upcoming_registrations} dossiers inscrits "
             "aux prochaines séances")
        # The past fiches are documents like any signed fiche, never sent anywhere (they predate the receivers):
        # their PDF and CDA are produced by the task worker after start-up, behind fiches validated meanwhile.
        registered = documents.register_fiches(activity.fiches, diffuse=False, priority=documents.BACKLOG_PRIORITY)
        step(f"{len(registered)} fiches RCP passées enregistrées dans l'entrepôt de documents (PDF et CDA produits en "
             "arrière-plan par le worker)")
        trials = load_demo_trials([h for territory in hospitals for h in territory])
        step(f"{trials} essais cliniques fictifs au registre régional, ouverts dans les établissements de démonstration")
        reports = file_reports(region=region, rng=rng, today=today)
        step(f"{reports} comptes rendus reçus (anatomopathologie, génétique moléculaire) pour les dossiers inscrits "
             "aux prochaines séances")
        rollups.rebuild(audited=False)  # the activity was bulk-inserted, past the services that keep the counters
        step(f"cumuls de l'infocentre reconstruits ; {search_index.rebuild()} fiches indexées pour la recherche")
        counts = {"seed": seed, "boards": len(region.boards), "practitioners": len(practitioners),
                  "received_reports": reports, "documents": len(registered), "trials": trials,
                  **asdict(stats)}
        audit.record(actor=None, action=Action.DEMO_DATA, details=counts)
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts
