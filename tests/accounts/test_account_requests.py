"""The account request: the public page (RPPS key, charter, no account enumeration, throttle, PSC prefill), the
worklist's scope, and the decisions with the requester's email read from a real SMTP server (tests/mailbox.py)."""

import pytest
from django.utils import timezone

from oncodcc.accounts import rpps
from oncodcc.accounts.models import AccountRequest, Charter, User
from oncodcc.audit.models import AuditEvent
from oncodcc.rcp.models import BoardMember
from tests import factories as f
from tests.accounts.conftest import RPPS
from tests.accounts.psc_provider import Professional, psc_provider  # noqa: F401 (fixture)
from tests.accounts.test_psc import psc_sign_in

pytestmark = pytest.mark.django_db
PAGE = "/compte/demande/"
DONE = "/compte/demande/enregistree/"


def form_data(region, **overrides):
    data = {"rpps": RPPS, "last_name": "Lefèvre", "first_name": "Claire", "specialty": f.ONCOLOGY,
            "email": "claire.lefevre@example.org", "phone": "03 20 00 00 00", "role": "doctor",
            "organisations": [region["hospital"].pk], "boards": [region["board"].pk], "charter_version": 1,
            "accept_charter": "on"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def submit(client, region, **overrides):
    return client.post(PAGE, form_data(region, **overrides))


# --- RPPS -------------------------------------------------------------------------------------------------------


def test_rpps_key_is_luhn():
    assert rpps.is_valid("10001234565")
    assert not rpps.is_valid("10001234566")  # wrong key
    assert not rpps.is_valid("1000123456")  # 10 digits
    assert not rpps.is_valid("1000123456a")
    assert rpps.normalise("100 012 345 65") == "10001234565"


def test_wrong_rpps_key_is_refused_and_nothing_written(client, region):
    response = submit(client, region, rpps="10001234566")
    assert response.status_code == 200
    assert "clé de contrôle" in response.content.decode()
    assert not AccountRequest.objects.exists()
    assert not AuditEvent.objects.filter(action="account.request").exists()


def test_doctor_needs_an_rpps_secretary_does_not(client, region):
    response = submit(client, region, rpps="")
    assert "Le numéro RPPS est nécessaire" in response.content.decode()
    assert not AccountRequest.objects.exists()
    assert submit(client, region, rpps="", role="secretary")["Location"] == DONE
    assert AccountRequest.objects.get().role == "secretary"


# --- the public page ------------------------------------------------------------------------------------------


def test_page_shows_the_current_charter_and_records_the_request(client, region):
    Charter.objects.create(version=2, text="Version brouillon jamais publiée.")
    page = client.get(PAGE).content.decode()
    assert "Charte d'utilisation (version 1)" in page and "ne consulter que les dossiers" in page
    assert "brouillon" not in page

    response = submit(client, region)
    assert response.status_code == 302 and response["Location"] == DONE
    request = AccountRequest.objects.get()
    assert (request.rpps, request.role, request.state, request.charter.version) == (RPPS, "doctor", "pending", 1)
    assert list(request.organisations.all()) == [region["hospital"]]
    assert list(request.boards.all()) == [region["board"]]
    event = AuditEvent.objects.get(action="account.request")
    assert event.object_id == str(request.pk) and event.details["charter_version"] == 1
    assert "Lefèvre" not in str(event.details) and "claire" not in str(event.details)  # no identity in the trail


def test_charter_must_be_accepted_and_be_the_current_one(client, region):
    assert "doit être acceptée" in submit(client, region, accept_charter=None).content.decode()
    Charter.objects.create(version=2, text="Nouvelle charte.", published_at=timezone.now())
    response = submit(client, region)  # the form was read under version 1
    assert "a changé pendant votre saisie" in response.content.decode()
    assert not AccountRequest.objects.exists()


def test_no_published_charter_closes_the_page(client, region):
    Charter.objects.all().delete()
    response = client.get(PAGE)
    assert response.status_code == 503 and "momentanément fermées" in response.content.decode()


def test_same_answer_whether_or_not_an_account_exists(client, region):
    """Nothing tells a visitor whether this RPPS or this email already has an account."""
    fresh = submit(client, region, rpps=rpps.with_key("2000000001"), email="nouveau@example.org")
    practitioner = f.PractitionerFactory(rpps=RPPS)
    f.DoctorFactory(practitioner=practitioner, email="deja@example.org")
    existing = submit(client, region, rpps=RPPS, email="deja@example.org")
    again = submit(client, region, rpps=RPPS, email="deja@example.org")  # a duplicate pending request
    assert fresh.status_code == existing.status_code == again.status_code == 302
    assert fresh["Location"] == existing["Location"] == again["Location"] == DONE
    assert AccountRequest.objects.count() == 2  # the duplicate is not recorded twice


def test_public_form_is_rate_limited(client, region, settings):
    settings.DCC_ACCOUNT_FORMS_PER_HOUR = 2
    for n in range(2):
        assert submit(client, region, rpps=rpps.with_key(f"300000000{n}"))["Location"] == DONE
    response = submit(client, region, rpps=rpps.with_key("3000000009"))
    assert response.status_code == 429 and "Trop de formulaires" in response.content.decode()
    assert AccountRequest.objects.count() == 2


def test_pro_sante_connect_identity_prefills_and_is_kept(client, region):
    session = client.session
    session["psc_identity"] = {"rpps": RPPS, "family_name": "Lefèvre", "given_name": "Claire",
                               "email": "claire.lefevre@example.org"}
    session.save()
    page = client.get(PAGE).content.decode()
    assert f'value="{RPPS}"' in page and "attestée par Pro Santé Connect" in page and 'value="Lefèvre"' in page
    # The attested RPPS cannot be changed by the form.
    submit(client, region, rpps=rpps.with_key("4000000000"))
    request = AccountRequest.objects.get()
    assert request.rpps == RPPS and request.psc_attested
    assert "psc_identity" not in client.session


def test_pro_sante_connect_sign_in_of_an_unknown_rpps_ends_on_the_prefilled_request(client, region,
                                                                                    psc_provider):  # noqa: F811
    psc_provider.professional = Professional.with_rpps(RPPS, "Claire", "Lefèvre", email="claire@example.org")
    response = psc_sign_in(client, psc_provider)
    assert response["Location"] == PAGE
    page = client.get(PAGE).content.decode()
    assert f'value="{RPPS}"' in page and 'value="claire@example.org"' in page and "Pro Santé Connect" in page
    assert submit(client, region, email="claire@example.org")["Location"] == DONE
    assert AccountRequest.objects.get().psc_attested


def test_rpps_lookup_prefills_from_the_directory(client, region):
    f.PractitionerFactory(rpps=RPPS, last_name="Durand", first_name="Paul")
    assert client.get("/compte/demande/rpps/", {"numero": RPPS}).json() == {
        "valid": True, "found": True, "last_name": "Durand", "first_name": "Paul", "specialty": f.ONCOLOGY}
    assert client.get("/compte/demande/rpps/", {"numero": "10001234566"}).json() == {"valid": False, "found": False}
    unknown = rpps.with_key("5000000000")
    assert client.get("/compte/demande/rpps/", {"numero": unknown}).json() == {"valid": True, "found": False}


# --- the worklist ----------------------------------------------------------------------------------------------


@pytest.fixture
def pending(client, region):
    submit(client, region)
    return AccountRequest.objects.get()


def test_worklist_scope(client, region, pending):
    """The 3C whose hospital is named sees the request; another 3C does not; the DSRC does."""
    client.force_login(region["admin3c"])
    assert "Lefèvre".upper() in client.get("/comptes/demandes/").content.decode()
    assert client.get(f"/comptes/demandes/{pending.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="account.request_view", actor_id=region["admin3c"].pk).count() == 1

    client.force_login(region["other_admin3c"])
    assert "LEFÈVRE" not in client.get("/comptes/demandes/").content.decode()
    assert client.get(f"/comptes/demandes/{pending.pk}/").status_code == 403
    assert client.post(f"/comptes/demandes/{pending.pk}/refuser/", {"reason": "Non."}).status_code == 403
    pending.refresh_from_db()
    assert pending.is_pending

    client.force_login(region["admindsrc"])
    assert "LEFÈVRE" in client.get("/comptes/demandes/").content.decode()

    client.force_login(f.DoctorFactory())
    assert client.get("/comptes/demandes/").status_code == 403


def test_request_naming_only_a_board_reaches_its_3c(client, region):
    submit(client, region, organisations=[region["other_hospital"].pk], boards=[region["board"].pk])
    client.force_login(region["admin3c"])
    assert "LEFÈVRE" in client.get("/comptes/demandes/").content.decode()


# --- decisions -----------------------------------------------------------------------------------------------------


def test_accept_creates_the_account_and_emails_the_activation_link(client, region, pending, mailbox):
    client.force_login(region["admin3c"])
    response = client.post(f"/comptes/demandes/{pending.pk}/accepter/", {
        "role": "doctor", "organisation": region["ccc"].pk, "boards": [region["board"].pk]})
    assert response.status_code == 302
    user = User.objects.get(email="claire.lefevre@example.org")
    assert (user.username, user.role, user.organisation, user.is_active) == ("claire.lefevre", "doctor",
                                                                             region["ccc"], True)
    assert not user.has_usable_password() and user.charter_version == 1
    assert user.practitioner.rpps == RPPS and region["hospital"] in user.practitioner.organisations.all()
    assert BoardMember.objects.filter(board=region["board"], practitioner=user.practitioner).exists()
    pending.refresh_from_db()
    assert (pending.state, pending.decided_by, pending.user) == ("accepted", region["admin3c"], user)
    assert {e.action for e in AuditEvent.objects.filter(actor_id=region["admin3c"].pk)} >= {
        "account.request_accept", "account.create"}

    [message] = mailbox.to("claire.lefevre@example.org")
    assert message["Subject"] == "Votre compte OncoDCC a été créé"
    body = mailbox.body(message)
    assert "Identifiant : claire.lefevre" in body and "RCP Sein Nord" in body and "&#x27;" not in body
    assert mailbox.link("claire.lefevre@example.org").startswith("http://testserver/comptes/activation/")


def test_accept_refused_outside_the_actors_3c_boards(client, region, pending, mailbox):
    client.force_login(region["admin3c"])
    response = client.post(f"/comptes/demandes/{pending.pk}/accepter/", {
        "role": "doctor", "organisation": region["ccc"].pk, "boards": [region["other_board"].pk]})
    assert response.status_code == 400
    assert not User.objects.filter(email="claire.lefevre@example.org").exists() and mailbox.messages == []
    response = client.post(f"/comptes/demandes/{pending.pk}/accepter/", {
        "role": "admin_3c", "organisation": region["ccc"].pk})
    assert response.status_code == 400 and not User.objects.filter(email="claire.lefevre@example.org").exists()


def test_accept_rolls_back_when_the_email_cannot_leave(client, region, pending, mailbox):
    mailbox.relay.reply = "554 5.7.1 Refusé"
    client.force_login(region["admin3c"])
    response = client.post(f"/comptes/demandes/{pending.pk}/accepter/", {
        "role": "doctor", "organisation": region["ccc"].pk, "boards": [region["board"].pk]})
    assert response.status_code == 400 and "pas pu partir" in response.content.decode()
    pending.refresh_from_db()
    assert pending.is_pending and not User.objects.filter(email="claire.lefevre@example.org").exists()
    assert not AuditEvent.objects.filter(action="account.request_accept").exists()


def test_existing_account_blocks_acceptance(client, region, pending, mailbox):
    f.DoctorFactory(practitioner=f.PractitionerFactory(rpps=RPPS))
    client.force_login(region["admin3c"])
    assert "Un compte existe déjà" in client.get(f"/comptes/demandes/{pending.pk}/").content.decode()
    response = client.post(f"/comptes/demandes/{pending.pk}/accepter/", {
        "role": "doctor", "organisation": region["ccc"].pk})
    assert response.status_code == 400 and "a déjà un compte" in response.content.decode()
    assert mailbox.messages == []


def test_refuse_needs_a_reason_and_emails_it(client, region, pending, mailbox):
    client.force_login(region["admin3c"])
    assert client.post(f"/comptes/demandes/{pending.pk}/refuser/", {"reason": ""}).status_code == 400
    response = client.post(f"/comptes/demandes/{pending.pk}/refuser/",
                           {"reason": "Vous n'exercez pas dans un établissement de notre 3C."})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.state == "refused" and pending.refusal_reason.startswith("Vous n'exercez")
    [message] = mailbox.to("claire.lefevre@example.org")
    assert "Vous n'exercez pas dans un établissement de notre 3C." in mailbox.body(message)
    assert AuditEvent.objects.get(action="account.request_refuse").reason.startswith("Vous n'exercez")
    # Decided: no second decision.
    assert client.post(f"/comptes/demandes/{pending.pk}/accepter/", {
        "role": "doctor", "organisation": region["ccc"].pk}).status_code == 403


def test_public_forms_need_the_csrf_token(region):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    assert browser.post(PAGE, form_data(region)).status_code == 403
    assert browser.post("/comptes/mot-de-passe-oublie/", {"email": "a@example.org"}).status_code == 403
    assert not AccountRequest.objects.exists()


def test_the_3c_of_attachment_is_proposed_from_the_hospital_named(client, region):
    submit(client, region, boards=[])  # the hospital only: the 3C whose board it hosts is proposed
    client.force_login(region["admindsrc"])
    response = client.get(f"/comptes/demandes/{AccountRequest.objects.get().pk}/")
    assert response.context["accept_form"].initial["organisation"] == region["ccc"].pk
