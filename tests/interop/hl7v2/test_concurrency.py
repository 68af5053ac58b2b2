"""Real concurrency: the same message sent on several connections at once is processed once.

Runs on PostgreSQL (and on an SQLite file): the in-memory SQLite test database is opened in shared-cache mode,
where concurrent writers fail at once with "database table is locked" instead of waiting."""

import threading
from datetime import date

import pytest
from django.db import connection

from oncodcc.interop.hl7v2.models import Hl7Message
from oncodcc.interop.hl7v2.processing import handle_message
from oncodcc.patients.models import Patient

from . import messages as m


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


@pytest.mark.django_db(transaction=True)
def test_same_message_on_parallel_threads_is_processed_once(sender, hospital):
    payload = m.adt("A28", m.pid(ipp="IPP-PAR", oid=hospital.oid, birth_name="PARALLÈLE", given="Inès",
                                 birth_date=date(1999, 9, 9), sex="F"), control="PAR-1")
    if _in_memory_sqlite():
        pytest.skip("shared-cache in-memory SQLite cannot hold concurrent writers")
    answers: list[bytes] = []
    start = threading.Barrier(12)

    def send():
        try:
            start.wait()
            answers.append(handle_message(payload))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(answers) == 12
    assert len(set(answers)) == 1, [m.ack_code(a) for a in answers]
    assert m.ack_code(answers[0]) == "AA"
    assert Patient.objects.count() == 1
    states = sorted(Hl7Message.objects.values_list("state", flat=True))
    assert states == ["accepted"] + ["duplicate"] * 11
