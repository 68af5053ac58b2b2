"""The `dcc` entry point and the operational commands."""

import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from oncodcc.rcp.models import Meeting
from oncodcc.rcp.tasks import generate_upcoming_meetings
from tests import factories as f

DCC = Path(sys.executable).with_name("dcc")


@pytest.mark.parametrize("command", ["demo-data", "generate-meetings", "audit"])
def test_help_accepts_hyphenated_commands(command):
    result = subprocess.run([str(DCC), "help", command], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "usage: dcc" in result.stdout


def test_unknown_command_fails():
    result = subprocess.run([str(DCC), "no-such-command"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0


def run(*args, **options) -> str:
    out = StringIO()
    call_command("generate_meetings", *args, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_generate_meetings_is_idempotent():
    board = f.BoardFactory(interval=1)  # weekly
    f.BoardFactory(frequency="")  # no recurrence: untouched
    f.BoardFactory(interval=1, active=False)  # inactive: untouched
    output = run(weeks=4)
    count = Meeting.objects.count()
    assert count in (4, 5)  # a Tuesday every week, today's included
    assert f"{count} séance(s) créée(s)" in output
    assert Meeting.objects.filter(board=board).count() == count
    assert "0 séance(s) créée(s)" in run(weeks=4)
    assert Meeting.objects.count() == count
    assert Meeting.objects.filter(starts_at__gt=timezone.now() + timedelta(weeks=4, days=1)).count() == 0


@pytest.mark.django_db
def test_generate_meetings_rejects_silly_horizons():
    with pytest.raises(CommandError):
        run(weeks=0)


@pytest.mark.django_db
def test_generate_meetings_enqueue_gives_the_worker_work():
    board = f.BoardFactory(interval=1)
    output = run(weeks=2, enqueue=True)
    task = DBTaskResult.objects.get()
    assert str(task.id) in output
    assert task.task_path.endswith("generate_upcoming_meetings")
    assert not Meeting.objects.filter(board=board).exists()  # the worker does it
    assert generate_upcoming_meetings.call(weeks=2) == Meeting.objects.filter(board=board).count() > 0
