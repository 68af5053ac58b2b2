"""Diffusion benchmark: `.venv/bin/python -m bench.diffusion_send [--documents 200]`.

The outbox's DPI channel end to end — claim a due delivery, build the ORU^R01 with the CDA (base64 in OBX-5) from
the stored rendering, send it over MLLP, wait for the ACK, record the attempt with both payloads, mark it delivered
— against a bare python-hl7 MLLP server in its own process that answers AA to each message (the receiver, no
database). Beside it, on the same machine and to the same receiver, the bare send loop: the same ORU payloads sent
with python-hl7's asyncio MLLP client, waiting for each ACK, (a) one connection per message as our worker does, and
(b) one connection for all. Printed: deliveries/s, per-delivery p50/p95, and the ratios ours / bare.

On a throw-away SQLite database (or, with DATABASE_URL set, Django's `test_…` database on that PostgreSQL)."""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bench.hl7_ingest import start_process, stop_process


def setup(tmp: Path):
    """A validated fiche of a board whose hospital knows the patient (an IPP) and has a DPI receiver; its CDA
    rendered once, then `documents` documents carrying that rendering, each with its delivery in the outbox."""
    os.environ["DCC_VAR_DIR"] = str(tmp)
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    if not postgres:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncodcc.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if postgres:
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)

        def cleanup():
            connection.creation.destroy_test_db(old_name, verbosity=0)
    else:
        call_command("migrate", verbosity=0)

        def cleanup():
            connection.close()
    return cleanup


def load(receiver_port: int, documents: int) -> list[int]:
    from oncodcc.diffusion import outbox
    from oncodcc.diffusion.models import Receiver
    from oncodcc.documents import services as document_services
    from oncodcc.documents.models import Document, Rendering
    from oncodcc.patients.models import PatientIdentifier
    from oncodcc.rcp.models import Fiche
    from tests import factories as f

    hospital, _board, doctor, meeting = f.organ_board_case(days_ago=10)
    doctor.practitioner.email = ""  # the DPI channel only: no MSSanté recipient
    doctor.practitioner.save()
    patient = f.PatientFactory(birth_name="Martin", first_birth_given_name="Jeanne", birth_date=date(1979, 3, 28))
    PatientIdentifier.objects.create(patient=patient, system=hospital.oid, value="IPP-BENCH", organisation=hospital)
    registration = f.RegistrationFactory(meeting=meeting, patient=patient, requesting_doctor=doctor.practitioner,
                                         presenting_doctor=doctor.practitioner, created_by=doctor)
    fiche = f.complete_fiche(registration, created_by=doctor)
    fiche.status, fiche.validated_at, fiche.validated_by = Fiche.Status.VALIDATED, meeting.starts_at + \
        timedelta(hours=1), doctor
    fiche.quorum_status = "ORG-126"
    fiche.save()
    Receiver.objects.create(organisation=hospital, host="127.0.0.1", port=receiver_port)
    first = document_services.register_fiche(fiche, actor=doctor)
    document_services.render(first.pk)
    renderings = list(first.renderings.filter(state=Rendering.State.READY))
    ids = []
    for _ in range(documents):
        # Other documents of the same content: what the worker sends is the same size as a real fiche's.
        copy = Document.objects.create(
            kind=first.kind, type_code=first.type_code, title=first.title, patient=patient, set_id=uuid.uuid4(),
            version_number=1, author=doctor, organisation=first.organisation)
        Rendering.objects.bulk_create([
            Rendering(document=copy, format=r.format, state=r.state, sha256=r.sha256, size=r.size,
                      rendered_at=r.rendered_at) for r in renderings])
        outbox.queue(copy, "new")
        ids.append(copy.pk)
    return ids


def run_worker() -> tuple[float, list[float]]:
    from oncodcc.diffusion import worker
    from oncodcc.diffusion.models import Delivery, DeliveryAttempt

    started = time.perf_counter()
    counts = worker.send_due()
    elapsed = time.perf_counter() - started
    if set(counts) != {"delivered"}:
        raise SystemExit(f"envois non délivrés : {dict(counts)} — "
                         f"{Delivery.objects.exclude(state='delivered').values_list('last_error', flat=True)[:3]}")
    latencies = [(a.ended_at - a.started_at).total_seconds() for a in DeliveryAttempt.objects.all()]
    return elapsed, latencies


def payloads() -> list[bytes]:
    from oncodcc.diffusion.models import DeliveryAttempt

    return [bytes(a.request) for a in DeliveryAttempt.objects.order_by("pk")]


def bare_loop(port: int, messages: list[bytes], *, reconnect: bool) -> tuple[float, list[float]]:
    import hl7
    from hl7.mllp import open_hl7_connection

    async def main():
        latencies = []
        reader = writer = None
        started = time.perf_counter()
        for payload in messages:
            begin = time.perf_counter()
            if writer is None:
                reader, writer = await open_hl7_connection("127.0.0.1", port, encoding="utf-8")
            writer.writemessage(hl7.parse(payload.decode("utf-8")))
            await writer.drain()
            ack = await reader.readmessage()
            assert str(ack.segment("MSA")[1]) == "AA"
            latencies.append(time.perf_counter() - begin)
            if reconnect:
                writer.close()
                await writer.wait_closed()
                writer = None
        if writer is not None:
            writer.close()
        return time.perf_counter() - started, latencies

    return asyncio.run(main())


def line(label: str, count: int, elapsed: float, latencies: list[float]) -> str:
    q = statistics.quantiles(latencies, n=20) if len(latencies) >= 20 else [max(latencies)] * 19
    return (f"  {label:<52} {count / elapsed:8.1f} envois/s   p50 {statistics.median(latencies) * 1000:6.1f} ms"
            f"   p95 {q[18] * 1000:6.1f} ms")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    args = parser.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    with tempfile.TemporaryDirectory(prefix="bench-diffusion-") as directory:
        tmp = Path(directory)
        cleanup = setup(tmp)
        env = {**os.environ}
        receiver, port = start_process([sys.executable, "-m", "bench.hl7_ingest", "--echo-server"], env,
                                       r"port (\d+)", tmp / "receiver.log")
        try:
            load(port, args.documents)
            ours, our_latencies = run_worker()
            messages = payloads()
            size = sum(len(m) for m in messages) // len(messages)
            per_message, per_latencies = bare_loop(port, messages, reconnect=True)
            one_connection, one_latencies = bare_loop(port, messages, reconnect=False)
        finally:
            stop_process(receiver)
            cleanup()
    vendor = "PostgreSQL" if urlsplit(os.environ.get("DATABASE_URL", "")).scheme.startswith("postgres") else "SQLite"
    n = len(messages)
    print(f"Diffusion DPI : {n} fiches RCP (ORU^R01, ~{size // 1024} Ko chacune avec le CDA), récepteur MLLP "
          f"python-hl7 qui acquitte AA, base {vendor}")
    print(line("OncoDCC (file d'envoi → ORU → ACK → état, tracé)", n, ours, our_latencies))
    print(line("python-hl7 seul, une connexion par message", n, per_message, per_latencies))
    print(line("python-hl7 seul, une seule connexion", n, one_connection, one_latencies))
    print(f"  ratio OncoDCC / python-hl7 (connexion par message) : {per_message / ours:.0%} ; "
          f"/ une seule connexion : {one_connection / ours:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
