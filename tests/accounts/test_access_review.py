"""The yearly access review: scope (a 3C administrator sees only their 3C, the DSRC all its 3C), the list and its
CSV, confirm / deactivate stored in the year's campaign and audited, refusals with nothing written."""

import csv
import io

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from oncodcc.accounts.models import AccessReview, AccessReviewDecision, Role
from oncodcc.audit.models import AuditEvent
from oncodcc.core.policy import has_permission
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/comptes/revue/"
YEAR = timezone.localdate().year


@pytest.fixture
def region():
    dsrc = f.DsrcFactory()
    ccc_a = f.CccFactory(parent=dsrc, name="3C Artois")
    ccc_b = f.CccFactory(parent=dsrc, name="3C Flandres")
    board_a = f.BoardFactory(name="Sein Artois", managing_3c=ccc_a)
    board_b = f.BoardFactory(name="Thorax Flandres", managing_3c=ccc_b)
    admin_a = f.UserFactory(role=Role.ADMIN_3C, organisation=ccc_a, is_staff=True, last_name="Admin-A")
    secretary_a = f.UserFactory(role=Role.SECRETARY, organisation=ccc_a, last_name="Secrétaire-A")
    doctor_a = f.DoctorFactory(last_name="Médecin-A")
    doctor_a.practitioner.last_name = "Médecin-A"
    doctor_a.practitioner.save()
    f.add_member(board_a, doctor_a.practitioner, coordinator=True)
    doctor_a.last_login = timezone.now()
    doctor_a.save(update_fields=["last_login"])
    TOTPDevice.objects.create(user=doctor_a, name="TOTP", confirmed=True)
    doctor_b = f.DoctorFactory(last_name="Médecin-B")
    f.add_member(board_b, doctor_b.practitioner)
    dsrc_admin = f.UserFactory(role=Role.ADMIN_DSRC, organisation=dsrc, is_staff=True)
    return dict(dsrc=dsrc, ccc_a=ccc_a, ccc_b=ccc_b, admin_a=admin_a, secretary_a=secretary_a, doctor_a=doctor_a,
                doctor_b=doctor_b, dsrc_admin=dsrc_admin)


def listed(response) -> set[int]:
    return {row.user.pk for row in response.context["rows"]}


def test_3c_administrator_sees_only_their_3c(region, client):
    r = region
    client.force_login(r["admin_a"])
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["organisation"] == r["ccc_a"]
    assert listed(response) == {r["admin_a"].pk, r["secretary_a"].pk, r["doctor_a"].pk}
    row = next(x for x in response.context["rows"] if x.user == r["doctor_a"])
    assert row.boards == ["Sein Artois (coordonnateur)"] and row.strong_auth == ["Application TOTP"]
    assert [s.pk for s in response.context["structures"]] == [r["ccc_a"].pk]
    # Another 3C, or the DSRC: refused, nothing listed.
    assert client.get(URL, {"structure": r["ccc_b"].pk}).status_code == 403
    assert client.get(f"{URL}export.csv", {"structure": r["ccc_b"].pk}).status_code == 403
    assert client.get(URL, {"structure": r["dsrc"].pk}).status_code == 403


def test_dsrc_administrator_reviews_every_3c(region, client):
    r = region
    client.force_login(r["dsrc_admin"])
    response = client.get(URL, {"structure": r["ccc_b"].pk})
    assert listed(response) == {r["doctor_b"].pk}
    assert listed(client.get(URL, {"structure": r["dsrc"].pk})) == {r["dsrc_admin"].pk}


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.SECRETARY, Role.COORDINATOR, Role.DPO])
def test_other_roles_are_refused(region, client, role):
    user = f.DoctorFactory(role=role, organisation=region["ccc_a"])
    assert not has_permission(user, "account.review")
    client.force_login(user)
    assert client.get(URL).status_code == 403
    response = client.post(f"{URL}decision/", {"structure": region["ccc_a"].pk, "annee": YEAR,
                                               "compte": region["doctor_a"].pk, "decision": "deactivated"})
    assert response.status_code == 403
    region["doctor_a"].refresh_from_db()
    assert region["doctor_a"].is_active and not AccessReview.objects.exists()


def test_csv_export(region, client):
    r = region
    r["secretary_a"].first_name = "=HYPERLINK(\"http://x\")"
    r["secretary_a"].save()
    client.force_login(r["admin_a"])
    response = client.get(f"{URL}export.csv", {"structure": r["ccc_a"].pk, "annee": YEAR})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    by_login = {row["Identifiant"]: row for row in rows}
    assert set(by_login) == {r["admin_a"].username, r["secretary_a"].username, r["doctor_a"].username}
    doctor = by_login[r["doctor_a"].username]
    assert doctor["Rôle"] == "Médecin" and doctor["RCP"] == "Sein Artois (coordonnateur)"
    assert doctor["Authentification forte"] == "Application TOTP" and doctor["Dernière connexion"]
    assert doctor[f"Décision {YEAR}"] == "à revoir" and doctor["RPPS"] == r["doctor_a"].practitioner.rpps
    assert by_login[r["secretary_a"].username]["Dernière connexion"] == ""
    assert by_login[r["secretary_a"].username]["Prénom"].startswith("'=")  # no formula in a spreadsheet
    assert AuditEvent.objects.filter(action="account.review", actor_id=r["admin_a"].pk,
                                     details__step="export").exists()


def test_confirm_and_deactivate(region, client):
    r = region
    client.force_login(r["admin_a"])
    base = {"structure": r["ccc_a"].pk, "annee": YEAR}
    response = client.post(f"{URL}decision/", {**base, "compte": r["doctor_a"].pk, "decision": "confirmed"})
    assert response.status_code == 302
    response = client.post(f"{URL}decision/", {**base, "compte": r["secretary_a"].pk, "decision": "deactivated"},
                           follow=True)
    assert "désactivé" in response.content.decode()
    review = AccessReview.objects.get(year=YEAR, organisation=r["ccc_a"])
    assert review.started_by == r["admin_a"]
    decisions = {d.user_id: d.decision for d in AccessReviewDecision.objects.filter(review=review)}
    assert decisions == {r["doctor_a"].pk: "confirmed", r["secretary_a"].pk: "deactivated"}
    r["secretary_a"].refresh_from_db()
    r["doctor_a"].refresh_from_db()
    assert not r["secretary_a"].is_active and r["doctor_a"].is_active
    deactivation = AuditEvent.objects.get(action="account.deactivate", object_id=str(r["secretary_a"].pk))
    assert deactivation.actor_id == r["admin_a"].pk and f"Revue annuelle des accès {YEAR}" in deactivation.reason
    assert AuditEvent.objects.filter(action="account.review", details__decision="confirmed",
                                     object_id=str(r["doctor_a"].pk)).exists()
    # The page shows who decided; no second decision for the same year.
    page = client.get(URL, base)
    assert page.context["pending"] == 1
    response = client.post(f"{URL}decision/", {**base, "compte": r["doctor_a"].pk, "decision": "deactivated"},
                           follow=True)
    assert "déjà été confirmé" in response.content.decode()
    r["doctor_a"].refresh_from_db()
    assert r["doctor_a"].is_active and AccessReviewDecision.objects.count() == 2


def test_refusals_write_nothing(region, client):
    r = region
    client.force_login(r["admin_a"])
    base = {"structure": r["ccc_a"].pk, "annee": YEAR}
    # An account of another 3C, through this 3C's review: not one of its accounts.
    assert client.post(f"{URL}decision/", {**base, "compte": r["doctor_b"].pk,
                                           "decision": "deactivated"}).status_code == 404
    # One's own account cannot be deactivated.
    response = client.post(f"{URL}decision/", {**base, "compte": r["admin_a"].pk, "decision": "deactivated"},
                           follow=True)
    assert "votre propre compte" in response.content.decode()
    # Garbage in: a clear 400, never a 500.
    assert client.get(URL, {"annee": "deux-mille"}).status_code == 400
    assert client.get(URL, {"annee": YEAR + 1}).status_code == 400
    assert client.post(f"{URL}decision/", {**base, "compte": r["doctor_a"].pk, "decision": "peut-être"},
                       follow=True).status_code == 200
    assert not AccessReview.objects.exists() and not AccessReviewDecision.objects.exists()
    for user in (r["doctor_b"], r["admin_a"], r["doctor_a"]):
        user.refresh_from_db()
        assert user.is_active


def test_anonymous_is_sent_to_the_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/comptes/connexion/" in response["Location"]
    assert client.get(f"{URL}export.csv").status_code == 302
