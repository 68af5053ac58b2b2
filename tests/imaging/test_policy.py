"""Who sees a patient's studies (whoever opens the record) and who pins them for the room (the board's secretary
or coordinator); administrators read no studies."""

import pytest

from oncodcc.accounts.models import Role
from oncodcc.core.policy import has_permission
from oncodcc.imaging.policy import PIN_STUDY, VIEW_STUDIES
from tests import factories as f


@pytest.mark.parametrize(("who", "sees", "pins"), [
    ("coordinator", True, True),
    ("secretary", True, True),
    ("member", True, False),
    ("outsider_doctor", False, False),
    (Role.ADMIN_3C, False, False),
    (Role.SYSADMIN, False, False),
    (Role.DPO, False, False),
])
def test_imaging_matrix(board, coordinator, secretary, registration, who, sees, pins):
    if who == "member":
        user = f.DoctorFactory()
        f.add_member(board, user.practitioner)
    else:
        user = {"coordinator": coordinator, "secretary": secretary, "outsider_doctor": f.DoctorFactory()}.get(who) \
            or f.UserFactory(role=who, organisation=board.managing_3c, is_staff=True)
    assert has_permission(user, VIEW_STUDIES, registration.patient) is sees
    assert has_permission(user, PIN_STUDY, registration) is pins
    assert has_permission(user, VIEW_STUDIES, None) is False
    assert has_permission(user, PIN_STUDY, None) is False
