import pytest
from django.db import DatabaseError, connection, transaction

from oncodcc.audit import services as audit
from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import Action


@pytest.mark.django_db
def test_database_refuses_to_rewrite_or_delete_audit_events():
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only (see audit migration 0002)")
    event = audit.record(actor=None, action=Action.LOGIN_FAILED)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="réécrit")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""
