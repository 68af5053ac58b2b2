"""Long-running processes keep no SQL strings: DEBUG is off by default; and when a developer turns it on, the MLLP
listener and the task worker still forget each message's / task's queries (a 10 MB HL7 message is a 10 MB SQL
string: the listener grew from 100 to 550 MB after ten)."""

import threading

from django.db import connection
from django_tasks.signals import task_finished

from oncodcc.audit.models import AuditEvent
from oncodcc.interop.hl7v2.mllp import _handle_in_thread


def _query_with(payload: bytes) -> None:
    AuditEvent.objects.filter(reason=payload.decode()).exists()


def test_mllp_listener_forgets_the_sql_of_each_message_under_debug(settings, transactional_db):
    settings.DEBUG = True
    seen = {}

    def handler(payload: bytes, *, peer: str, channel=None) -> bytes:
        _query_with(payload)
        seen["during"] = len(connection.queries)  # what Django keeps under DEBUG
        return b"MSA|AA"

    def worker() -> None:  # as in the listener: a worker thread with its own connection
        seen["ack"] = _handle_in_thread(handler, b"x" * 100_000, "127.0.0.1:5000", None)
        seen["after"] = list(connection.queries)
        connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(30)
    assert seen["ack"] == b"MSA|AA" and seen["during"] >= 1
    assert seen["after"] == []


def test_task_worker_forgets_the_sql_of_each_task_under_debug(settings, db):
    settings.DEBUG = True
    _query_with(b"y" * 100_000)
    assert connection.queries
    task_finished.send_robust(sender=object, task_result=None)  # django-tasks logs it, and fails on None
    assert connection.queries == []
