"""Issue #9, hole 5: no privilege escalation in the admin. A DSRC administrator set `is_superuser` on itself and
opened the set-password form of `sysadmin` and of a doctor; now each administrator manages only the accounts of
their scope, below their level, and nobody changes their own role or flags."""

import pytest

from oncodcc.audit.models import AuditEvent
from tests import factories as f
from tests.audit.admin_forms import page_data

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/user/"
NEW_PASSWORD = "Un-Nouveau-Mot-De-Passe-2026"


@pytest.fixture
def region():
    dsrc = f.DsrcFactory()
    ccc, other_ccc = f.CccFactory(parent=dsrc), f.CccFactory(parent=dsrc)
    return {
        "dsrc": dsrc, "ccc": ccc,
        "sysadmin": f.UserFactory(username="sysadmin", role="sysadmin", is_staff=True, is_superuser=True),
        "admindsrc": f.UserFactory(username="admindsrc", role="admin_dsrc", is_staff=True, organisation=dsrc),
        "admin3c": f.UserFactory(username="admin3c", role="admin_3c", is_staff=True, organisation=ccc),
        "other_admin3c": f.UserFactory(role="admin_3c", is_staff=True, organisation=other_ccc),
        "medecin": f.DoctorFactory(username="medecin"),
        "secretaire": f.UserFactory(username="secretaire", role="secretary", organisation=ccc),
        "other_secretary": f.UserFactory(role="secretary", organisation=other_ccc),
        "dpo": f.UserFactory(role="dpo", organisation=dsrc),
        "other_admindsrc": f.UserFactory(role="admin_dsrc", is_staff=True, organisation=dsrc),
    }


def state(user) -> tuple:
    user.refresh_from_db()
    return user.role, user.is_superuser, user.is_staff, user.organisation_id, user.password


def test_dsrc_admin_cannot_make_itself_superuser(client, region):
    me = region["admindsrc"]
    before = state(me)
    client.force_login(me)
    url = f"{USERS}{me.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="is_staff"' not in page and 'name="role"' not in page

    data = page_data(client, url) | {"is_superuser": "on", "is_staff": "on", "role": "sysadmin",
                                     "organisation": "", "first_name": "Alice"}
    client.post(url, data)

    assert state(me) == before
    me.refresh_from_db()
    assert me.first_name == "Alice"  # what one may change on one's own account
    event = AuditEvent.objects.get(action="admin.change", object_id=str(me.pk))
    assert event.details["fields"] == ["first_name"] and "values" not in event.details


@pytest.mark.parametrize("target", ["sysadmin", "medecin", "dpo", "other_admindsrc"])
def test_dsrc_admin_cannot_open_or_post_the_password_form_of_accounts_outside_its_scope(client, region, target):
    account = region[target]
    before = state(account)
    client.force_login(region["admindsrc"])

    assert client.get(f"{USERS}{account.pk}/password/").status_code == 403
    response = client.post(f"{USERS}{account.pk}/password/",
                           {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 403
    assert client.get(f"{USERS}{account.pk}/change/").status_code == 403
    assert client.post(f"{USERS}{account.pk}/change/", {"username": "pris", "is_superuser": "on"}).status_code == 403
    assert state(account) == before
    assert not AuditEvent.objects.filter(object_id=str(account.pk)).exists()


def test_dsrc_admin_sets_the_password_of_a_3c_account_audited_without_the_password(client, region):
    target = region["other_admin3c"]
    target.organisation = region["ccc"]
    target.save()
    client.force_login(region["admindsrc"])

    response = client.post(f"{USERS}{target.pk}/password/",
                           {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action="admin.change", object_id=str(target.pk))
    assert event.actor_id == region["admindsrc"].pk and event.details["fields"] == ["password"]
    assert NEW_PASSWORD not in str(event.details) and target.password not in str(event.details)


def test_3c_admin_manages_only_the_base_accounts_of_its_3c(client, region):
    client.force_login(region["admin3c"])
    listed = {user.username for user in client.get(USERS).context["cl"].result_list}
    assert listed == {"admin3c", "secretaire"}
    for target in ("admindsrc", "other_admin3c", "other_secretary", "medecin", "sysadmin"):
        assert client.get(f"{USERS}{region[target].pk}/password/").status_code == 403, target

    secretary = region["secretaire"]
    before = state(secretary)
    url = f"{USERS}{secretary.pk}/change/"
    page = client.get(url).content.decode()
    assert 'value="admin_3c"' not in page and 'value="sysadmin"' not in page
    response = client.post(url, page_data(client, url) | {"role": "admin_dsrc", "is_staff": "on"})
    assert response.status_code == 200  # the form says why
    assert state(secretary) == before
    response = client.post(url, page_data(client, url) | {"organisation": str(region["other_secretary"].organisation_id)})
    assert response.status_code == 200 and state(secretary) == before


def test_dsrc_admin_promotes_a_3c_secretary_and_the_rights_change_is_in_the_chain(client, region):
    secretary = region["secretaire"]
    client.force_login(region["admindsrc"])
    url = f"{USERS}{secretary.pk}/change/"

    response = client.post(url, page_data(client, url) | {"role": "admin_3c"})

    assert response.status_code == 302
    secretary.refresh_from_db()
    assert (secretary.role, secretary.is_staff, secretary.is_superuser) == ("admin_3c", True, False)
    event = AuditEvent.objects.get(action="admin.change", object_id=str(secretary.pk))
    assert event.object_type == "accounts.user" and event.actor_id == region["admindsrc"].pk
    assert event.details["values"]["role"] == {"before": "secretary", "after": "admin_3c"}


def test_dsrc_admin_cannot_create_an_administrator_above_3c(client, region):
    client.force_login(region["admindsrc"])
    for role, organisation in (("sysadmin", region["ccc"].pk), ("admin_dsrc", region["ccc"].pk),
                               ("doctor", "")):
        response = client.post(f"{USERS}add/", {
            "username": f"nouveau-{role}", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
            "usable_password": "true", "role": role, "organisation": organisation})
        assert response.status_code == 200, role
    response = client.post(f"{USERS}add/", {
        "username": "nouvelle-secretaire", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        "usable_password": "true", "role": "secretary", "organisation": region["ccc"].pk})
    assert response.status_code == 302
    assert set(AuditEvent.objects.filter(action="admin.add").values_list("details__label", flat=True)) == {
        "nouvelle-secretaire"}
    created = type(region["sysadmin"]).objects.get(username="nouvelle-secretaire")
    assert (created.is_staff, created.is_superuser) == (False, False)
    assert not type(region["sysadmin"]).objects.filter(username__startswith="nouveau-").exists()


def test_sysadmin_grants_superuser_to_another_account_but_never_changes_its_own_flags(client, region):
    sysadmin, target = region["sysadmin"], region["admindsrc"]
    client.force_login(sysadmin)
    url = f"{USERS}{target.pk}/change/"
    assert client.post(url, page_data(client, url) | {"is_superuser": "on"}).status_code == 302
    target.refresh_from_db()
    assert target.is_superuser
    event = AuditEvent.objects.get(action="admin.change", object_id=str(target.pk))
    assert event.details["values"]["is_superuser"] == {"before": False, "after": True}

    own = f"{USERS}{sysadmin.pk}/change/"
    data = page_data(client, own)
    data.pop("is_superuser", None)
    client.post(own, data | {"role": "doctor"})
    sysadmin.refresh_from_db()
    assert (sysadmin.is_superuser, sysadmin.role) == (True, "sysadmin")
