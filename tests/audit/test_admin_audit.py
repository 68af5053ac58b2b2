"""Issue #9, hole 5: admin changes are events of the audit chain (not only Django's editable django_admin_log),
written once by the audited base `RoleAdmin`, with the rights fields before/after and the inline rows."""

import pytest
from django.contrib import admin

from oncodcc.audit.models import AuditEvent
from oncodcc.audit.services import verify_chain
from oncodcc.core.admin import AuditedAdmin
from oncodcc.directory.models import Organisation
from oncodcc.rcp.models import BoardMember
from tests import factories as f

from .admin_forms import page_data

pytestmark = pytest.mark.django_db


def test_every_registered_admin_is_audited():
    """Ours inherit RoleAdmin (role rights + audit); other packages' admins are wrapped at start-up."""
    unaudited = [f"{model._meta.label}: {type(model_admin).__name__}"
                 for model, model_admin in admin.site._registry.items() if not isinstance(model_admin, AuditedAdmin)]
    assert not unaudited, f"admins that bypass the audit chain: {unaudited}"


@pytest.fixture
def admin3c(board):
    return f.UserFactory(role="admin_3c", is_staff=True, organisation=board.managing_3c)


def test_board_members_and_secretaries_changes_are_one_event_with_before_and_after(client, board, admin3c):
    leaving, joining = f.PractitionerFactory(), f.PractitionerFactory()
    f.add_member(board, leaving)
    kept = BoardMember.objects.get(board=board, practitioner=leaving)
    secretary = f.UserFactory(role="secretary", organisation=board.managing_3c)
    client.force_login(admin3c)
    url = f"/admin/rcp/board/{board.pk}/change/"
    data = page_data(client, url)
    prefix = "members"
    extra = int(data[f"{prefix}-INITIAL_FORMS"])
    # The inline rows follow the members' ordering (names): find the row of the member leaving.
    row = next(i for i in range(extra) if data[f"{prefix}-{i}-id"] == str(kept.pk))
    data |= {f"{prefix}-{row}-DELETE": "on", f"{prefix}-{extra}-practitioner": str(joining.pk),
             f"{prefix}-{extra}-is_coordinator": "on", f"{prefix}-{extra}-board": str(board.pk),
             "secretaries": [str(secretary.pk)]}

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    members = set(BoardMember.objects.filter(board=board).values_list("practitioner_id", flat=True))
    assert joining.pk in members and leaving.pk not in members
    event = AuditEvent.objects.get(object_type="rcp.board", object_id=str(board.pk))
    assert (event.action, event.actor_id, event.patient_id) == ("admin.change", admin3c.pk, None)
    assert event.details["values"]["secretaries"] == {"before": [], "after": [secretary.pk]}
    rows = {row["op"]: row for row in event.details["inlines"]}
    assert rows["delete"]["id"] == kept.pk and rows["delete"]["values"]["practitioner"] == leaving.pk
    assert rows["add"]["values"]["practitioner"] == joining.pk and rows["add"]["values"]["is_coordinator"] is True
    assert verify_chain().ok


def test_organisation_add_change_delete_are_in_the_chain(client):
    sysadmin = f.UserFactory(role="sysadmin", is_staff=True, is_superuser=True)
    client.force_login(sysadmin)
    organisation = f.OrganisationFactory(name="Clinique du Parc")
    url = f"/admin/directory/organisation/{organisation.pk}/change/"
    assert client.post(url, page_data(client, url) | {"name": "Clinique du Lac", "active": ""}).status_code == 302

    changed = AuditEvent.objects.get(action="admin.change")
    assert changed.details["fields"] == ["active", "name"]
    assert changed.details["values"] == {"active": {"before": True, "after": False}}  # names are not rights

    response = client.post(f"/admin/directory/organisation/{organisation.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Organisation.objects.filter(pk=organisation.pk).exists()
    deleted = AuditEvent.objects.get(action="admin.delete")
    assert deleted.object_id == str(organisation.pk) and deleted.details["label"] == "Clinique du Lac"
    assert verify_chain().ok


def test_bulk_delete_action_is_audited_per_object(client):
    client.force_login(f.UserFactory(role="sysadmin", is_staff=True, is_superuser=True))
    doomed = [f.OrganisationFactory(), f.OrganisationFactory()]
    client.post("/admin/directory/organisation/", {"action": "delete_selected", "post": "yes",
                                                   "_selected_action": [o.pk for o in doomed]})
    assert not Organisation.objects.filter(pk__in=[o.pk for o in doomed]).exists()
    assert set(AuditEvent.objects.filter(action="admin.delete").values_list("object_id", flat=True)) == {
        str(o.pk) for o in doomed}


def test_refused_change_writes_nothing(client, board):
    outsider = f.UserFactory(role="admin_3c", is_staff=True, organisation=f.CccFactory())
    client.force_login(outsider)
    client.post(f"/admin/rcp/board/{board.pk}/change/", {"name": "Pris"})
    board.refresh_from_db()
    assert board.name != "Pris" and not AuditEvent.objects.filter(action__startswith="admin.").exists()


def test_interop_admin_events_are_not_doubled(client):
    client.force_login(f.UserFactory(role="sysadmin", is_staff=True, is_superuser=True))
    hospital = f.OrganisationFactory()
    response = client.post("/admin/hl7v2/hl7sender/add/", {"application": "DPI", "facility": "CH",
                                                             "organisation": hospital.pk, "active": "on"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(object_type="hl7v2.hl7sender")  # one event, the sender's own action
    assert event.action == "hl7.sender_register"
    assert event.details["organisation"] == hospital.pk and "organisation" in event.details["fields"]
