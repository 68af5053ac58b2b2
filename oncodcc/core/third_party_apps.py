"""French names for the third-party applications whose models appear in the administration (the admin would show
"Axes" and "Tasks Database Backend"): the same applications, renamed, referenced in INSTALLED_APPS."""

from axes.apps import AppConfig as AxesAppConfig
from django_tasks_db.apps import TasksAppConfig


class AxesConfig(AxesAppConfig):
    verbose_name = "Blocage des connexions (échecs répétés)"


class TaskQueueConfig(TasksAppConfig):
    verbose_name = "File des tâches de fond"
