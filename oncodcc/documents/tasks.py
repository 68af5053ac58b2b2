from django_tasks import task

from . import services


@task()
def render_document(document_id: int) -> dict[str, str]:
    """PDF/A and CDA R2 of a document, in the worker (WeasyPrint holds the whole document in memory)."""
    return services.render(document_id)
