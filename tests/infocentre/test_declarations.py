"""Declared external activity: the 3C declares for its own boards, the DSRC for all; audited; a new declaration
for the same board and month replaces the previous one; refusals write nothing."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from oncodcc.audit.models import AuditEvent
from oncodcc.core.policy import AccessDenied
from oncodcc.infocentre import declarations
from oncodcc.infocentre.models import DeclaredActivity

PAGE = reverse("infocentre:declarations")


def test_a_3c_declares_for_its_board_and_replaces(region):
    admin = region.users["admin3c"]
    declarations.declare(actor=admin, board=region.board_north, month=date(2025, 5, 17), reports=12, tool="Web DCR")
    row = declarations.declare(actor=admin, board=region.board_north, month=date(2025, 5, 1), reports=15)
    assert DeclaredActivity.objects.count() == 1
    assert (row.month, row.reports, row.declared_by) == (date(2025, 5, 1), 15, admin)
    events = AuditEvent.objects.filter(action="infocentre.declare").order_by("id")
    assert [e.details["reports"] for e in events] == [12, 15]
    assert events.last().details["previous"] == 12 and events.last().patient_id is None


def test_refusals_write_nothing(region):
    with pytest.raises(AccessDenied):
        declarations.declare(actor=region.users["admin3c"], board=region.board_south, month=date(2025, 5, 1),
                             reports=3)
    with pytest.raises(AccessDenied):
        declarations.declare(actor=region.users["coord3c"], board=region.board_north, month=date(2025, 5, 1),
                             reports=3)
    with pytest.raises(ValidationError):
        declarations.declare(actor=region.users["dsrc"], board=region.board_south, month=date(2099, 1, 1),
                             reports=3)
    assert not DeclaredActivity.objects.exists()
    assert not AuditEvent.objects.filter(action="infocentre.declare").exists()


def test_the_page(client, region):
    client.force_login(region.users["admin3c"])
    page = client.get(PAGE)
    assert page.status_code == 200
    boards = list(page.context["form"].fields["board"].queryset)
    assert boards == [region.board_north]
    response = client.post(PAGE, {"board": region.board_north.pk, "month": "2025-04", "reports": "7",
                                  "tool": "Ancien DCC"})
    assert response.status_code == 302
    assert DeclaredActivity.objects.get().reports == 7
    refused = client.post(PAGE, {"board": region.board_south.pk, "month": "2025-04", "reports": "7"})
    assert refused.status_code == 200 and "board" in refused.context["form"].errors
    assert DeclaredActivity.objects.count() == 1
    client.force_login(region.users["dsrc"])
    assert client.post(PAGE, {"board": region.board_south.pk, "month": "2025-04", "reports": "2"}).status_code == 302
    client.force_login(region.users["doctor"])
    assert client.get(PAGE).status_code == 403
