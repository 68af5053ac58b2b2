"""HL7 v2 ingest benchmark: `.venv/bin/python -m bench.hl7_ingest [--connections 4] [--patients 100]`.

Sustained ADT + ORU over MLLP, acknowledged after commit, against `dcc mllp` running as its own process (as under
`make run`) on a throw-away database: an SQLite file in a temporary directory, or with DATABASE_URL set, Django's
`test_…` database on that server (PostgreSQL). Beside it, on the same machine and with the same client: the bare
python-hl7 echo loop (an asyncio MLLP server from `hl7.mllp` that parses each message with `hl7.parse` and answers
`create_ack()`, no database), also in its own process.

Per connection the client sends, one message at a time and waiting for each ACK (HL7 original mode), for each of
its patients: A28 (create), A31 (update) and ORU^R01 with a small level-3 CDA report. Printed: messages/s (all
messages over the wall-clock time), ACK latency p50/p95 (send to ACK received) per server and per message type, and
the ratio ours / echo (target ≥ 50 %)."""

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
APP, FACILITY, OID = "BENCH-DPI", "BENCH-CHU", "1.2.250.1.999.555.1"
SB, END = b"\x0b", b"\x1c\r"


# --- The echo server (run in its own process: `python -m bench.hl7_ingest --echo-server`) --------------------------


def echo_server() -> int:
    import hl7
    from hl7.mllp import start_hl7_server

    async def serve(reader, writer):
        try:
            while not writer.is_closing():
                message = await reader.readmessage()  # hl7.parse of the frame
                writer.writemessage(message.create_ack())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main():
        server = await start_hl7_server(serve, "127.0.0.1", 0, encoding="utf-8", limit=1024 * 1024)
        print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
        async with server:
            await server.serve_forever()

    assert hl7  # imported for the parser used by readmessage
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    return 0


def listener_transport_only() -> int:
    """Our listener (framing, one worker thread per message, bounded workers) with the echo's work as handler:
    hl7.parse + create_ack, no database. Measures what the listener itself costs beside the bare echo."""
    import hl7

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncodcc.settings")
    import django

    django.setup()
    from oncodcc.interop.hl7v2 import mllp

    def parse_and_ack(payload: bytes, *, peer: str = "", channel=None) -> bytes:
        return str(hl7.parse(payload.decode("utf-8")).create_ack()).encode("utf-8")

    return mllp.serve(host="127.0.0.1", port=0, handler=parse_and_ack,
                      on_ready=lambda listener: print(f"port {listener.port}", flush=True))


# --- Database and messages -----------------------------------------------------------------------------------------


def setup_database(tmp: Path) -> tuple[dict, callable]:
    """Prepare the throw-away database in this process; return the environment for the listener process and a
    clean-up function."""
    env = {**os.environ, "DCC_VAR_DIR": str(tmp), "DJANGO_SETTINGS_MODULE": "oncodcc.settings",
           "DCC_LOG_LEVEL": os.environ.get("DCC_LOG_LEVEL", "INFO")}
    postgres = bool(os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")))
    if not postgres:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DCC_VAR_DIR"] = str(tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncodcc.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if postgres:
        old_name = connection.settings_dict["NAME"]
        test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        url = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(url._replace(path=f"/{test_name}"))

        def cleanup():
            connection.creation.destroy_test_db(old_name, verbosity=0)
    else:
        call_command("migrate", verbosity=0)

        def cleanup():
            connection.close()

    from oncodcc.directory.models import Organisation
    from oncodcc.interop.hl7v2.models import Hl7Sender

    organisation = Organisation.objects.create(kind=Organisation.Kind.SITE, name="Hôpital du banc d'essai", oid=OID)
    Hl7Sender.objects.create(application=APP, facility=FACILITY, organisation=organisation)
    connection.close()
    return env, cleanup


def build_messages(connections: int, patients: int) -> list[list[tuple[str, bytes]]]:
    """Per connection, (type, payload) in sending order; synthetic identities only."""
    from tests import samples
    from tests.interop.hl7v2 import messages as m

    names = ["MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU", "LAURENT"]
    given = ["Léa", "Chloé", "Inès", "Zoé", "Élodie", "Gaëlle", "Noémie", "Hélène"]
    plan = []
    for c in range(connections):
        sequence = []
        for p in range(patients):
            ipp, name, first = f"B{c:02d}-{p:05d}", names[p % len(names)], given[(p + c) % len(given)]
            birth = date(1940 + p % 60, 1 + p % 12, 1 + p % 28)
            pid = m.pid(ipp=ipp, oid=OID, birth_name=name, given=first, birth_date=birth, sex="F", status="PROV")
            updated = m.pid(ipp=ipp, oid=OID, birth_name=name, given=f"{first} Marie", birth_date=birth, sex="F",
                            status="VALI")
            cda = samples.cda_report(birth_name=name, given=first, birth_date=birth, ipp=ipp, hospital_oid=OID)
            common = {"app": APP, "facility": FACILITY}
            sequence += [
                ("A28", m.adt("A28", pid, control=f"{ipp}-1", **common)),
                ("A31", m.adt("A31", updated, control=f"{ipp}-2", **common)),
                ("ORU", m.oru(updated, m.cda_obx(1, cda), control=f"{ipp}-3", meta=False, **common)),
            ]
        plan.append(sequence)
    return plan


# --- Servers as processes ------------------------------------------------------------------------------------------


def start_process(command: list[str], env: dict, pattern: str, log: Path) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,  # noqa: S603
                               stderr=log.open("wb"), text=True)
    line = process.stdout.readline()
    match = re.search(pattern, line)
    if not match:
        process.kill()
        raise SystemExit(f"le serveur n'a pas démarré ({line.strip()!r}); voir {log}")
    return process, int(match.group(1))


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- The client ----------------------------------------------------------------------------------------------------


def send_all(port: int, plan: list[list[tuple[str, bytes]]]) -> tuple[float, list[tuple[str, float, bytes]]]:
    """One thread and one connection per sequence, each message sent once its predecessor's ACK is in.
    Returns the wall-clock time and, per message, (type, latency, MSA-1)."""
    results: list[tuple[str, float, bytes]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(plan) + 1)
    errors: list[BaseException] = []

    def conversation(sequence):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=120)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            mine, buffer = [], b""
            barrier.wait()
            for kind, payload in sequence:
                started = time.perf_counter()
                sock.sendall(SB + payload + END)
                while END not in buffer:
                    data = sock.recv(65536)
                    if not data:
                        raise ConnectionError("connexion fermée par le serveur")
                    buffer += data
                ack, buffer = buffer.split(END, 1)
                latency = time.perf_counter() - started
                msa = next((s for s in ack.split(b"\r") if s.startswith(b"MSA")), b"MSA||")
                mine.append((kind, latency, msa.split(ack[4:5] or b"|")[1] if len(ack) > 4 else b"?"))
            sock.close()
            with lock:
                results.extend(mine)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=conversation, args=(sequence,)) for sequence in plan]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed, results


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(name: str, elapsed: float, results) -> float:
    rate = len(results) / elapsed
    latencies = [r[1] for r in results]
    codes = statistics.multimode([r[2] for r in results])
    not_aa = sum(1 for r in results if r[2] not in (b"AA", b"CA"))
    print(f"{name:34} {rate:8.0f} msg/s   p50 {percentile(latencies, 50) * 1000:6.1f} ms   "
          f"p95 {percentile(latencies, 95) * 1000:6.1f} ms   ({len(results)} messages in {elapsed:.1f} s"
          f"{f', {not_aa} not AA' if not_aa else ''})")
    for kind in ("A28", "A31", "ORU"):
        mine = [r[1] for r in results if r[0] == kind]
        if mine and name.startswith("ours"):
            print(f"  {kind:32} p50 {percentile(mine, 50) * 1000:6.1f} ms   p95 {percentile(mine, 95) * 1000:6.1f} ms")
    assert codes, "aucun acquittement"
    return rate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--patients", type=int, default=100, help="per connection (3 messages each)")
    parser.add_argument("--workers", type=int, default=8, help="listener's parallel processings")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, logs)")
    parser.add_argument("--echo-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--transport-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echo_server:
        return echo_server()
    if args.transport_server:
        return listener_transport_only()

    tmp = Path(tempfile.mkdtemp(prefix="oncodcc-bench-hl7-"))
    env, cleanup = setup_database(tmp)
    ours = echo = transport = None
    try:
        from django.db import connection

        vendor = connection.vendor
        plan = build_messages(args.connections, args.patients)
        warmup = build_messages(1, 3)
        for sequence in warmup:  # other IPPs than the measured ones
            sequence[:] = [(k, p.replace(b"B00-", b"W00-")) for k, p in sequence]
        total = sum(len(s) for s in plan)
        size = sum(len(p) for s in plan for _, p in s) / total

        ours, ours_port = start_process(
            [str(Path(sys.executable).parent / "dcc"), "mllp", "--host", "127.0.0.1", "--port", "0",
             "--workers", str(args.workers)], env, r"Écoute MLLP sur [^:]+:(\d+)", tmp / "mllp.log")
        echo, echo_port = start_process([sys.executable, "-m", "bench.hl7_ingest", "--echo-server"], env,
                                        r"port (\d+)", tmp / "echo.log")
        transport, transport_port = start_process([sys.executable, "-m", "bench.hl7_ingest", "--transport-server"],
                                                  env, r"port (\d+)", tmp / "transport.log")
        send_all(ours_port, warmup)
        send_all(echo_port, build_messages(1, 3))
        send_all(transport_port, build_messages(1, 3))
        ours_time, ours_results = send_all(ours_port, plan)
        echo_time, echo_results = send_all(echo_port, plan)
        transport_time, transport_results = send_all(transport_port, plan)

        print(f"{total} messages ({args.connections} connections × {args.patients} patients × A28 + A31 + ORU, "
              f"{size / 1024:.1f} KiB on average), database {vendor}, listener workers {args.workers}, "
              f"{os.cpu_count()} CPUs")
        ours_rate = report("ours (dcc mllp, ACK after commit)", ours_time, ours_results)
        echo_rate = report("bare python-hl7 echo (no database)", echo_time, echo_results)
        transport_rate = report("ours, listener only (echo handler)", transport_time, transport_results)
        ratio = ours_rate / echo_rate
        print(f"ratio ours / echo: {ratio:.0%} (target ≥ 50 %: {'OK' if ratio >= 0.5 else 'NOT MET'}); "
              f"listener only / echo: {transport_rate / echo_rate:.0%}")
        not_aa = [r for r in ours_results if r[2] != b"AA"]
        if not_aa:
            print(f"!! {len(not_aa)} messages not accepted, see {tmp / 'mllp.log'}")
            args.keep = True
            return 1
    finally:
        for process in (ours, echo, transport):
            if process is not None:
                stop_process(process)
        cleanup()
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
