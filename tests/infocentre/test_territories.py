"""Territories in the directory (a 3C belongs to one), their admin, and the demo region's two territories with
their figures."""

from io import StringIO

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from oncodcc.audit.models import AuditEvent
from oncodcc.core.admin import RoleAdmin
from oncodcc.directory.models import Organisation, Territory
from oncodcc.infocentre import activity, figures, rollups, scopes
from oncodcc.infocentre.models import DailyActivity
from tests import factories as f


def test_only_a_3c_belongs_to_a_territory(db):
    dsrc = f.DsrcFactory()
    territory = Territory.objects.create(name="Littoral", code="LITTORAL", dsrc=dsrc)
    f.CccFactory(parent=dsrc, territory=territory).full_clean()
    hospital = f.OrganisationFactory(territory=territory)
    with pytest.raises(ValidationError) as exc:
        hospital.full_clean()
    assert "territory" in exc.value.message_dict
    with pytest.raises(ValidationError):
        Territory(name="Mauvais", code="MAUVAIS", dsrc=hospital).full_clean()


def test_territory_admin_is_audited_and_role_based(client, db):
    assert isinstance(admin.site._registry[Territory], RoleAdmin)
    dsrc = f.DsrcFactory()
    manager = f.UserFactory(role="admin_dsrc", organisation=dsrc, is_staff=True)
    client.force_login(manager)
    response = client.post(reverse("admin:directory_territory_add"),
                           {"name": "Métropole-Flandres", "code": "METRO-FLANDRES", "dsrc": dsrc.pk, "active": "on"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="admin.add", object_type="directory.territory").exists()


@pytest.fixture
def demo(db, settings):
    settings.DEMO_MODE = True
    call_command("demo_data", stdout=StringIO(), patients=40, months=2)


def test_the_demo_region_has_two_territories_each_with_its_3c(demo):
    territories = Territory.objects.order_by("code")
    assert [t.code for t in territories] == ["DEMO-NORD", "DEMO-SUD"]
    for territory in territories:
        assert territory.cccs.filter(kind=Organisation.Kind.CCC).count() == 1
    assert DailyActivity.objects.exists()
    counted = {(r.day, r.board_id, r.kind): r.count for r in DailyActivity.objects.all()}
    rollups.rebuild()
    assert counted == {(r.day, r.board_id, r.kind): r.count for r in DailyActivity.objects.all()}
    year = max(day.year for day, _, _ in counted)
    table = activity.table(year=year, scope=scopes.region())
    assert [row.label for row in table.rows] == [t.name for t in Territory.objects.order_by("name")]
    assert table.total.fiches == figures.values(year=year, scope=scopes.region())["fiches"] > 0
