"""`dcc mllp` as a process: the banner with the bound port, an answer even when the database is unusable, exit 0 on
SIGTERM and SIGINT; a clear French error when the port is taken."""

import os
import select
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from oncodcc.interop.hl7v2.framing import Deframer, Frame, frame

ROOT = Path(__file__).resolve().parents[3]


def start(tmp_path) -> tuple[subprocess.Popen, int]:
    # An empty database (no tables) in a temp dir: the listener must start without touching it.
    env = {**os.environ, "DCC_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/empty.sqlite3",
           "PYTHONUNBUFFERED": "1"}
    # manage.py of this checkout (the `dcc` entry point of a shared virtualenv may import another checkout).
    process = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "mllp", "--host", "127.0.0.1", "--port", "0"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([process.stdout], [], [], 60)
    assert ready, "pas de bannière"
    line = process.stdout.readline().strip()
    assert line.startswith("Écoute MLLP sur 127.0.0.1:"), line
    return process, int(line.rsplit(":", 1)[1])


def read_ack(sock: socket.socket) -> bytes:
    deframer = Deframer(1_000_000)
    while True:
        data = sock.recv(65536)
        assert data
        frames = [e.payload for e in deframer.feed(data) if isinstance(e, Frame)]
        if frames:
            return frames[0]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serves_then_stops_cleanly_on_signal(tmp_path, signum):
    process, port = start(tmp_path)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(frame(b"MSH|^~\\&|DPI|CHU|ONCODCC|DSRC|20261121||ADT^A28^ADT_A05|CMD-1|P|2.5\r"))
            ack = read_ack(sock)
            # No tables: the processing fails, the sender still gets an error ACK for its message.
            assert b"MSA|AE|CMD-1" in ack
            process.send_signal(signum)
            assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    logs = process.stderr.read()
    assert "arrêté" in logs and "CMD-1" in logs
    assert "Traceback" not in logs.split("erreur inattendue")[0]  # only the processing's own error report


def test_port_in_use_is_a_clear_error():
    # In a thread of its own: the browser tests may leave an event loop running in this worker's main thread, and
    # the command (its own process in production) starts one with asyncio.run.
    errors = []

    def run(port):
        try:
            call_command("mllp", host="127.0.0.1", port=port)
        except CommandError as exc:
            errors.append(exc)

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        thread = threading.Thread(target=run, args=(port,))
        thread.start()
        thread.join(timeout=30)
    assert len(errors) == 1
    assert f"Impossible d'écouter sur 127.0.0.1:{port} : le port est déjà utilisé" in str(errors[0])


def test_bad_port_is_refused():
    with pytest.raises(CommandError, match="--port"):
        call_command("mllp", port=70000)
