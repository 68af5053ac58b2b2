import pytest


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    # The worker's tasks (document renderings) run in-process here; elsewhere they wait in the database queue.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
