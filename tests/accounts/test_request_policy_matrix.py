"""The account-request permissions as a matrix generated from the registry: every `account_request.*` permission
for every role × relation to the request (its 3C, another 3C, the DSRC) × state. A new permission of the subject
without an expectation here fails."""

import pytest

from oncodcc.accounts.models import AccountRequest, Role
from oncodcc.core import policy
from tests import factories as f

PERMISSIONS = sorted(n for n in policy.permissions() if n.startswith("account_request."))
RELATIONS = ["own_3c", "other_3c", "dsrc"]
STATES = ["pending", "accepted"]


def expected(permission: str, role: str, relation: str, state: str) -> bool:
    sees = role in {Role.ADMIN_DSRC, Role.SYSADMIN} or (role == Role.ADMIN_3C and relation == "own_3c")
    return {
        "account_request.view": sees,
        "account_request.decide": sees and state == "pending",
    }[permission]


def test_every_permission_has_an_expectation():
    assert PERMISSIONS == ["account_request.decide", "account_request.view"]


CELLS = [(role, relation, state) for role in Role for relation in RELATIONS for state in STATES]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "relation", "state"), CELLS, ids=[f"{r.value}-{rel}-{s}" for r, rel, s in CELLS])
def test_matrix(role, relation, state, charter):
    dsrc = f.DsrcFactory()
    ccc, other_ccc = f.CccFactory(parent=dsrc), f.CccFactory(parent=dsrc)
    hospital = f.OrganisationFactory()
    f.BoardFactory(managing_3c=ccc).hospitals.add(hospital)
    request = AccountRequest.objects.create(last_name="X", first_name="Y", email="x@example.org", role="doctor",
                                            charter=charter, state=state)
    request.organisations.set([hospital])
    organisation = {"own_3c": ccc, "other_3c": other_ccc, "dsrc": dsrc}[relation]
    user = f.UserFactory(role=role, organisation=organisation, is_staff=role in {Role.ADMIN_3C, Role.ADMIN_DSRC})
    for name in PERMISSIONS:
        assert policy.has_permission(user, name, request) is expected(name, role, relation, state), name
