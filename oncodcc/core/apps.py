from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "oncodcc.core"
    label = "core"
    verbose_name = "OncoDCC"

    def ready(self) -> None:
        from django.db import reset_queries
        from django_tasks.signals import task_finished

        from . import checks  # noqa: F401  (registers the deployment checks)

        # Under DEBUG, Django keeps the SQL of a process until a web request starts: the task worker has none.
        task_finished.connect(reset_queries, dispatch_uid="oncodcc.core.reset_queries")
