"""Background task of the infocentre (django-tasks; run by the `dcc db_worker` worker)."""

from django_tasks import task

from . import rollups


@task()
def refresh_rollups(year: int | None = None) -> dict[str, int]:
    """Rebuild the rollup tables from the facts (one year, or all): e.g. enqueued nightly, or after a bulk
    import that bypassed the services."""
    return rollups.rebuild(year=year)
