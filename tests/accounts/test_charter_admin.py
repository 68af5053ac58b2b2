"""The charter in the admin: the DSRC adds versions (numbered in sequence, audited); a published version cannot be
changed; a 3C administrator has no access."""

import pytest
from django.utils import timezone

from oncodcc.accounts.models import Charter
from oncodcc.audit.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db
CHARTERS = "/admin/accounts/charter/"


def test_dsrc_adds_versions_and_published_ones_are_frozen(client, charter):
    dsrc = f.DsrcFactory()
    admin = f.UserFactory(role="admin_dsrc", is_staff=True, organisation=dsrc)
    client.force_login(admin)
    response = client.post(f"{CHARTERS}add/", {"text": "Deuxième version de la charte.",
                                                "published_at_0": timezone.localdate().strftime("%d/%m/%Y"),
                                                "published_at_1": "00:00:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Charter.objects.get(version=2)
    assert Charter.current() == new
    assert AuditEvent.objects.get(action="admin.add", object_type="accounts.charter").object_id == str(new.pk)

    response = client.post(f"{CHARTERS}{charter.pk}/change/", {"text": "Réécriture de l'histoire."})
    assert response.status_code == 403
    charter.refresh_from_db()
    assert charter.text.startswith("Je m'engage")


def test_3c_admin_has_no_access(client, charter):
    client.force_login(f.UserFactory(role="admin_3c", is_staff=True, organisation=f.CccFactory()))
    assert client.get(CHARTERS).status_code == 403
