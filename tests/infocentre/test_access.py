"""Who sees which statistics: the policy per role and scope, the page's refusals (403, nothing exported, no
audit event), and no patient identity on the pages."""

import pytest
from django.urls import reverse

from oncodcc.audit.models import AuditEvent
from oncodcc.core import policy as core_policy
from oncodcc.infocentre import policy, rollups, scopes

from .conftest import meeting_at, paris, registration, validated

FIGURES = reverse("infocentre:figures")
ACTIVITY = reverse("infocentre:activity")


def tokens(region) -> dict[str, str]:
    return {
        "region": "region", "territory": "territory:NORD", "3c_own": f"3c:{region.ccc_north.national_id}",
        "3c_other": f"3c:{region.ccc_south.national_id}", "hospital": f"hospital:{region.hospital.finess}",
        "board_north": f"board:{region.board_north.pk}", "board_south": f"board:{region.board_south.pk}",
        "organ": "organ:76752008",
    }


# role → scopes it may view (the others are refused); "mine" is tested apart.
EXPECTED = {
    "dsrc": {"region", "territory", "3c_own", "3c_other", "hospital", "board_north", "board_south", "organ"},
    "sysadmin": {"region", "territory", "3c_own", "3c_other", "hospital", "board_north", "board_south", "organ"},
    "admin3c": {"3c_own", "board_north"},
    "coord3c": {"3c_own", "board_north"},
    "board_coordinator": {"board_south"},
    "doctor": set(),
    "secretary": set(),
    "dpo": set(),
    # The DSRC's epidemiologist: the region's aggregates (exports suppressed, no declaration).
    "epidemiologist": {"region", "territory", "3c_own", "3c_other", "hospital", "board_north", "board_south",
                       "organ"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_view_matrix(region, role):
    user = region.users[role]
    for name, token in tokens(region).items():
        assert policy.may_view(user, scopes.parse(token)) is (name in EXPECTED[role]), (role, name)
    assert core_policy.has_permission(user, policy.VIEW) is (role not in {"secretary", "dpo"})
    own = role in {"doctor", "board_coordinator"}
    assert policy.may_view(user, scopes.mine(user)) is own
    assert not policy.may_view(user, scopes.mine(region.users["doctor" if role != "doctor" else "dsrc"]))
    assert core_policy.has_permission(user, policy.EXPORT_UNSUPPRESSED) is (role in {"dsrc", "sysadmin"})
    assert core_policy.has_permission(user, policy.DECLARE, region.board_north) is (
        role in {"dsrc", "sysadmin", "admin3c"})
    assert core_policy.has_permission(user, policy.DECLARE, region.board_south) is (role in {"dsrc", "sysadmin"})


@pytest.mark.parametrize(("role", "opens_on"), [
    ("dsrc", "region"), ("epidemiologist", "region"), ("admin3c", "3c"), ("coord3c", "3c"), ("board_coordinator", "board"), ("doctor", "mine")])
def test_each_role_opens_on_its_scope(client, region, role, opens_on):
    client.force_login(region.users[role])
    response = client.get(FIGURES)
    assert response.status_code == 200
    assert response.context["selection"].scope.kind == opens_on
    offered = {s.token for s in response.context["selection"].offered}
    assert response.context["selection"].scope.token in offered


@pytest.mark.parametrize("role", ["secretary", "dpo"])
def test_others_see_nothing(client, region, role):
    client.force_login(region.users[role])
    for url in (FIGURES, ACTIVITY, reverse("infocentre:export", args=["chiffres", "csv"])):
        assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="infocentre.export").exists()
    page = client.get(reverse("front:home"))
    assert FIGURES not in page.content.decode()


def test_a_scope_outside_ones_rights_is_refused_and_nothing_exported(client, region):
    client.force_login(region.users["admin3c"])
    other = f"3c:{region.ccc_south.national_id}"
    assert client.get(FIGURES, {"perimetre": other}).status_code == 403
    assert client.get(FIGURES, {"perimetre": "region"}).status_code == 403
    export = reverse("infocentre:export", args=["activite", "xlsx"])
    assert client.get(export, {"perimetre": other}).status_code == 403
    assert not AuditEvent.objects.filter(action="infocentre.export").exists()
    assert client.get(FIGURES, {"perimetre": "territory:NOWHERE"}).status_code == 404
    assert client.get(FIGURES, {"annee": "1999"}).status_code == 404


def test_the_navigation_link_follows_the_permission(client, region):
    client.force_login(region.users["admin3c"])
    assert FIGURES in client.get(reverse("front:home")).content.decode()


def test_pages_show_no_patient_identity(client, region):
    meeting = meeting_at(region.board_north, paris(2025, 3, 4, 17))
    fiche = validated(registration(meeting), paris(2025, 3, 5, 9))
    fiche.case_summary = "Carcinome lobulaire infiltrant, synthèse confidentielle"
    fiche.save()
    rollups.rebuild()
    client.force_login(region.users["dsrc"])
    patient = fiche.patient
    for url, params in ((FIGURES, {"annee": 2025}), (ACTIVITY, {"annee": 2025}),
                        (ACTIVITY, {"annee": 2025, "perimetre": "territory:NORD"}),
                        (FIGURES, {"annee": 2025, "perimetre": f"board:{region.board_north.pk}"})):
        html = client.get(url, params).content.decode()
        assert patient.birth_name.upper() not in html.upper()
        assert fiche.case_summary not in html
    assert not AuditEvent.objects.filter(patient_id=patient.pk, action__startswith="infocentre").exists()


def test_a_doctor_sees_their_own_activity_only(client, region):
    doctor = region.users["doctor"]
    meeting = meeting_at(region.board_north, paris(2025, 3, 4, 17))
    validated(registration(meeting, doctor=doctor.practitioner), paris(2025, 3, 5, 9))
    validated(registration(meeting), paris(2025, 3, 5, 9), by=doctor)
    validated(registration(meeting), paris(2025, 3, 5, 10))  # someone else's
    client.force_login(doctor)
    response = client.get(FIGURES, {"annee": 2025})
    values = {fig.key: fig.value for fig in response.context["result"].main}
    assert values["fiches"] == 2 and values["meetings"] == 1 and values["active_users"] is None
    assert client.get(ACTIVITY, {"annee": 2025}).status_code == 404
    assert client.get(FIGURES, {"perimetre": f"board:{region.board_north.pk}"}).status_code == 403


def test_every_infocentre_permission_is_in_the_matrix():
    registered = {name for name in core_policy.permissions() if name.startswith("infocentre.")}
    # VIEW, DECLARE, EXPORT_UNSUPPRESSED: test_view_matrix; SEARCH, SEARCH_REGION: test_search_matrix.
    assert registered == {policy.VIEW, policy.DECLARE, policy.EXPORT_UNSUPPRESSED, policy.SEARCH,
                          policy.SEARCH_REGION}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_search_matrix(region, role):
    """Clinical text: the roles that work on cases (their patients) and the epidemiologist (pseudonymised)."""
    user = region.users[role]
    searches = role in {"doctor", "board_coordinator", "coord3c", "secretary", "epidemiologist"}
    assert core_policy.has_permission(user, policy.SEARCH) is searches
    assert core_policy.has_permission(user, policy.SEARCH_REGION) is (role == "epidemiologist")
