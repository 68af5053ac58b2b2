"""`/health` under load: gunicorn with the HealthFirstWorker answers it while slow requests hold every thread;
the plain threaded worker makes it wait (the comparison shows the test can fail)."""

import http.client
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .slow_wsgi import SLOW_SECONDS

GUNICORN = Path(sys.executable).with_name("gunicorn")
ROOT = Path(__file__).resolve().parents[2]


def get(port: int, path: str, timeout: float = 30) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200
        return response.read().decode()
    finally:
        connection.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    started = []

    def start(worker_class: str) -> int:
        port = _free_port()
        process = subprocess.Popen(
            [str(GUNICORN), "tests.core.slow_wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--threads", "2", "-k", worker_class, "--log-level", "warning"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append(process)
        for _ in range(100):
            try:
                get(port, "/ready", timeout=1)
                return port
            except OSError:
                time.sleep(0.1)
        process.kill()
        raise AssertionError(process.stderr.read().decode())

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def _health_while_busy(port: int) -> tuple[float, str]:
    slow = [threading.Thread(target=get, args=(port, "/slow")) for _ in range(6)]
    for thread in slow:
        thread.start()
    time.sleep(0.3)  # the two threads are busy, four requests queued
    started = time.perf_counter()
    body = get(port, "/health")
    elapsed = time.perf_counter() - started
    for thread in slow:
        thread.join()
    return elapsed, body


def test_health_does_not_wait_behind_slow_requests(server):
    elapsed, body = _health_while_busy(server("oncodcc.core.gunicorn_worker.HealthFirstWorker"))
    assert body == "/health" and elapsed < SLOW_SECONDS / 3


def test_the_plain_threaded_worker_makes_it_wait(server):
    elapsed, _ = _health_while_busy(server("gthread"))
    assert elapsed > SLOW_SECONDS


def test_other_requests_and_keep_alive_still_work(server):
    port = server("oncodcc.core.gunicorn_worker.HealthFirstWorker")
    assert get(port, "/health?probe=1", timeout=5) == "/health"
    with socket.create_connection(("127.0.0.1", port)) as sock:
        time.sleep(0.3)  # connected, silent for a while: waits in the poller, then served
        sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        received = b""
        deadline = time.monotonic() + 5
        while not (b"/a\r\n" in received and b"/health\r\n" in received) and time.monotonic() < deadline:
            received += sock.recv(4096)
    assert received.count(b"HTTP/1.1 200") == 2 and received.index(b"/a\r\n") < received.index(b"/health\r\n")
